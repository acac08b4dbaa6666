// The web console in headless Debian Chromium (playwright-core), against a real `kiln serve`:
// sign in, start a build, watch its phases advance and its log stream live, search the log,
// stop a build and retry it; screenshots at laptop and phone widths.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

import { KEY, createBucket, createProject, startKiln } from "./kiln.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const SHOTS = join(HERE, "screenshots");
const TIMEOUT = 30_000;

let kiln;
let browser;
let gate;

// The demo build: coloured output, a line that must be escaped, exported variables, and a
// BUILD phase that waits for the test to open the gate (so "live" is observed, not assumed).
function demoSpec(gateFile) {
  const q = JSON.stringify;
  return [
    "version: 0.2",
    "env:",
    "  variables:",
    "    GREETING: hello",
    "  exported-variables:",
    "    - GREETING",
    "phases:",
    "  install:",
    "    commands:",
    `      - ${q("printf '\\033[32mgreen install step\\033[0m\\n'")}`,
    "  build:",
    "    commands:",
    `      - ${q('echo "compiling <main.rs> & friends"')}`,
    `      - ${q(`while [ ! -e ${gateFile} ]; do sleep 0.05; done`)}`,
    `      - ${q("printf '\\033[1;33mwarning:\\033[0m unused variable x\\n'")}`,
    `      - ${q("echo done-after-gate")}`,
    `      - ${q("echo built > app.txt")}`,
    "artifacts:",
    "  files:",
    "    - app.txt",
  ].join("\n");
}

function waitingSpec(gateFile) {
  const q = JSON.stringify;
  return [
    "version: 0.2",
    "phases:",
    "  build:",
    "    commands:",
    `      - ${q("echo waiting-for-stop")}`,
    `      - ${q(`while [ ! -e ${gateFile} ]; do sleep 0.05; done`)}`,
  ].join("\n");
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  kiln = await startKiln();
  gate = join(kiln.dataDir, "gate");
  await createBucket(kiln.url, "console-artifacts");
  await createProject(kiln.url, "console-demo", demoSpec(gate), {
    type: "S3", location: "console-artifacts", name: "app.zip", packaging: "ZIP",
  });
  await createProject(kiln.url, "console-stop", waitingSpec(join(kiln.dataDir, "never")));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  await kiln?.stop();
});

async function signIn(page) {
  await page.goto(kiln.url + "/");
  assert.match(page.url(), /\/login$/, "an anonymous visitor is sent to the sign-in page");
  await page.fill("input[name=accessKeyId]", KEY.id);
  await page.fill("input[name=secretAccessKey]", "wrong-secret");
  await page.click("button[type=submit]");
  await page.locator(".notice").waitFor();
  assert.match(await page.locator(".notice").textContent(), /not accepted/);
  await page.fill("input[name=accessKeyId]", KEY.id);
  await page.fill("input[name=secretAccessKey]", KEY.secret);
  await page.click("button[type=submit]");
  await page.locator("h1", { hasText: "Projects" }).waitFor();
}

const logText = (page) => page.locator("#log").textContent();
// A log line whose whole text is `text` (the "[Container] Running command" lines quote it too).
const line = (page, text) =>
  page.locator(".ln").filter({ hasText: new RegExp("^" + text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "$") });

test("sign in, start a build, watch it live, search its log", { timeout: 120_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await signIn(page);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "kiln_session");
  assert.ok(session?.httpOnly, "the session cookie is HttpOnly");
  assert.equal(session.sameSite, "Strict");
  await page.screenshot({ path: join(SHOTS, "projects-1280.png"), fullPage: true });

  await page.click("a[href='/projects/console-demo']");
  await page.locator("h1", { hasText: "console-demo" }).waitFor();
  await page.click("form.start button[type=submit]");
  await page.waitForURL(/\/builds\/console-demo%3A|\/builds\/console-demo:/);

  // The BUILD phase runs (waiting on the gate) and the earlier output has streamed in.
  await page.locator("[data-phase=BUILD].st-in-progress").waitFor();
  await line(page, "compiling <main.rs> & friends").waitFor();
  assert.equal(await page.locator(".ln .a-fg2", { hasText: "green install step" }).count(), 1, "SGR green is a span");
  assert.equal(await page.locator("[data-phase=INSTALL].st-succeeded").count(), 1);
  assert.ok(!(await logText(page)).includes("done-after-gate"));
  assert.equal(await page.locator("#stop-form").isVisible(), true);

  // Open the gate: the rest arrives on this same page (no navigation: the marker survives).
  await page.evaluate(() => { window.__samePage = true; });
  writeFileSync(gate, "");
  await line(page, "done-after-gate").waitFor();
  await page.locator("#status .st-succeeded").waitFor();
  assert.equal(await page.evaluate(() => window.__samePage), true, "lines arrived by the stream");
  await page.locator("[data-phase=COMPLETED]").waitFor();
  await page.locator("body[data-final=true]").waitFor();
  assert.match(await page.locator(".columns").textContent(), /GREETING\s*hello/);
  assert.equal(await page.locator("#retry-form").isVisible(), true);
  // The artifact link is presigned for Kiln's S3 API: it downloads the ZIP.
  const href = await page.locator(".artifacts a").getAttribute("href");
  assert.match(href, /^\/console-artifacts\/.*app\.zip\?X-Amz-Algorithm=/);
  const zip = await page.request.get(kiln.url + href);
  assert.equal(zip.status(), 200);
  assert.equal((await zip.body()).subarray(0, 2).toString(), "PK");
  assert.equal(await page.locator(".ln .a-b.a-fg3", { hasText: "warning:" }).count(), 1);

  // Client-side search hides the other lines.
  await page.fill("#log-search", "warning: unused");
  const visible = await page.locator(".ln:not(.hidden)").allTextContents();
  assert.deepEqual(visible, ["warning: unused variable x"]);
  assert.match(await page.locator("#log-count").textContent(), /^1 of \d+ lines$/);
  await page.fill("#log-search", "");
  await page.screenshot({ path: join(SHOTS, "build-1280.png"), fullPage: true });
  if (process.env.KILN_UPDATE_DOCS_SCREENSHOT === "1") {
    copyFileSync(join(SHOTS, "build-1280.png"), join(HERE, "../../docs/console-build.png"));
  }
  const buildUrl = page.url();

  // A phone: the same pages, one column.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  await phone.addCookies([{ ...session }]);
  const small = await phone.newPage();
  small.setDefaultTimeout(TIMEOUT);
  await small.goto(buildUrl);
  await line(small, "done-after-gate").waitFor();
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling at 390px (overflow ${overflow}px)`);
  await small.screenshot({ path: join(SHOTS, "build-390.png"), fullPage: true });
  await small.goto(kiln.url + "/projects/console-demo");
  await small.screenshot({ path: join(SHOTS, "project-390.png"), fullPage: true });
  await phone.close();
  await context.close();
});

test("stop a running build, then retry it", { timeout: 120_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await signIn(page);
  await page.goto(kiln.url + "/projects/console-stop");
  await page.fill("input[name=sourceVersion]", "");
  await page.click("form.start button[type=submit]");
  await line(page, "waiting-for-stop").waitFor();
  await page.locator("[data-phase=BUILD].st-in-progress").waitFor();
  const stopped = page.url();
  await page.click("#stop-form button");
  await page.locator("#status .st-stopped").waitFor();
  assert.equal(page.url(), stopped);
  assert.equal(await page.locator("#retry-form").isVisible(), true);

  await page.click("#retry-form button");
  await page.waitForURL((u) => u.href !== stopped && /\/builds\//.test(u.pathname));
  await line(page, "waiting-for-stop").waitFor();
  await page.click("#stop-form button");
  await page.locator("#status .st-stopped").waitFor();

  await page.goto(kiln.url + "/projects/console-stop");
  assert.equal(await page.locator("table.list tbody tr").count(), 2, "both builds are in the history");
  assert.equal(await page.locator("table.list .st-stopped").count(), 2);
  await context.close();
});

test("forms need the session's CSRF token; pages need a session", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  const forged = await page.request.post(kiln.url + "/projects/console-demo/start", {
    form: { csrf: "forged", sourceVersion: "" },
    maxRedirects: 0,
  });
  assert.equal(forged.status(), 403);
  const missing = await page.request.post(kiln.url + "/builds/console-demo:x/stop", { form: {}, maxRedirects: 0 });
  assert.equal(missing.status(), 403);
  await context.close();

  const anonymous = await browser.newContext();
  const response = await anonymous.request.get(kiln.url + "/projects/console-demo", {
    headers: { accept: "text/html" },
    maxRedirects: 0,
  });
  assert.equal(response.status(), 303);
  assert.equal(response.headers().location, "/login");
  await anonymous.close();
});
