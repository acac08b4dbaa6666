// A real `kiln serve` for the browser tests, and the few signed API calls they need
// (SigV4 by hand: the tests need no AWS SDK).
import { spawn } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const KEY = { id: "AKIDCONSOLETEST", secret: "console-test-secret" };
const REGION = "us-east-1";

function binary() {
  if (process.env.KILN_BIN) return process.env.KILN_BIN;
  const target = process.env.CARGO_TARGET_DIR || join(REPO, "target");
  return join(target, "debug", "kiln");
}

/** Starts the server; resolves with { url, dataDir, stop } once it prints its address. */
export function startKiln() {
  const bin = binary();
  if (!existsSync(bin)) throw new Error(`${bin} does not exist: run \`cargo build -p kiln\` or set KILN_BIN`);
  const dataDir = mkdtempSync(join(tmpdir(), "kiln-console-"));
  const env = { ...process.env, KILN_ACCESS_KEY_ID: KEY.id, KILN_SECRET_ACCESS_KEY: KEY.secret, RUST_LOG: "warn" };
  // No sandbox: the builds wait on a gate file the test creates.
  const proc = spawn(bin, ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--concurrency", "2", "--sandbox", "none"], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolvePromise, reject) => {
    let out = "";
    proc.on("exit", (code) => reject(new Error(`kiln serve exited with ${code}: ${out}`)));
    proc.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/kiln listening on (http:\/\/\S+)/);
      if (m) {
        proc.removeAllListeners("exit");
        resolvePromise({
          url: m[1],
          dataDir,
          stop: () => new Promise((done) => { proc.once("exit", done); proc.kill("SIGTERM"); }),
        });
      }
    });
  });
}

const sha256 = (data) => createHash("sha256").update(data).digest("hex");
const hmac = (key, data) => createHmac("sha256", key).update(data).digest();

/** A request signed with the test key (SigV4, header form). */
async function signed(url, { method, path, service, headers: extra, body }) {
  const host = new URL(url).host;
  const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
  const date = amzDate.slice(0, 8);
  const payloadHash = sha256(body);
  const headers = { ...extra, host, "x-amz-date": amzDate, "x-amz-content-sha256": payloadHash };
  const names = Object.keys(headers).sort();
  const canonical = [method, path, "", ...names.map((n) => `${n}:${headers[n]}`), "", names.join(";"), payloadHash].join("\n");
  const scope = `${date}/${REGION}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
  let key = hmac(`AWS4${KEY.secret}`, date);
  for (const part of [REGION, service, "aws4_request"]) key = hmac(key, part);
  const signature = createHmac("sha256", key).update(toSign).digest("hex");
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${KEY.id}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
  delete headers.host;
  const response = await fetch(url + path, { method, headers, body: body === "" ? undefined : body });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text;
}

/** One CodeBuild call over AWS JSON 1.1. */
export async function codebuild(url, operation, input) {
  const headers = { "content-type": "application/x-amz-json-1.1", "x-amz-target": `CodeBuild_20161006.${operation}` };
  const text = await signed(url, { method: "POST", path: "/", service: "codebuild", headers, body: JSON.stringify(input) });
  return JSON.parse(text);
}

/** CreateBucket on Kiln's S3 API. */
export async function createBucket(url, bucket) {
  await signed(url, { method: "PUT", path: `/${bucket}`, service: "s3", headers: {}, body: "" });
}

/** A NO_SOURCE project running `spec` (YAML text). */
export function createProject(url, name, spec, artifacts = { type: "NO_ARTIFACTS" }) {
  return codebuild(url, "CreateProject", {
    name,
    description: "Created by the console's browser test",
    source: { type: "NO_SOURCE", buildspec: spec },
    artifacts,
    environment: { type: "LINUX_CONTAINER", image: "aws/codebuild/standard:7.0", computeType: "BUILD_GENERAL1_SMALL" },
    serviceRole: "arn:aws:iam::000000000000:role/kiln-tests",
  });
}
