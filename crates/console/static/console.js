// Kiln console: the live log (server-sent events, resumed by the browser with Last-Event-ID)
// and the client-side log search. No framework; the server renders everything else.
"use strict";

(function () {
  const log = document.getElementById("log");
  if (!log) return;
  const search = document.getElementById("log-search");
  const count = document.getElementById("log-count");

  function matches(line, term) {
    return term === "" || line.textContent.toLowerCase().includes(term);
  }

  function filter() {
    const term = search ? search.value.trim().toLowerCase() : "";
    let shown = 0;
    for (const line of log.children) {
      const ok = matches(line, term);
      line.classList.toggle("hidden", !ok);
      if (ok) shown++;
    }
    if (count) count.textContent = term === "" ? "" : shown + " of " + log.children.length + " lines";
  }
  if (search) search.addEventListener("input", filter);

  if (log.dataset.live !== "true" || !window.EventSource) return;

  // Lines the page already has are skipped if the stream repeats them.
  let last = -1;
  const tail = log.lastElementChild;
  if (tail) last = Number(tail.dataset.seq);

  const source = new EventSource(log.dataset.stream);
  source.onmessage = function (e) {
    if (Number(e.lastEventId) <= last) return;
    last = Number(e.lastEventId);
    const follow = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    const holder = document.createElement("div");
    holder.innerHTML = e.data; // rendered and escaped by the server (ansi.rs)
    const line = holder.firstElementChild;
    if (!line) return;
    const term = search ? search.value.trim().toLowerCase() : "";
    if (!matches(line, term)) line.classList.add("hidden");
    log.appendChild(line);
    if (term !== "") filter();
    if (follow) log.scrollTop = log.scrollHeight;
  };
  source.addEventListener("build", function (e) {
    const b = JSON.parse(e.data);
    const phases = document.getElementById("phases");
    if (phases) phases.innerHTML = b.phasesHtml;
    const status = document.getElementById("status");
    if (status) status.innerHTML = b.statusHtml;
    const duration = document.getElementById("duration");
    if (duration) duration.textContent = b.duration;
    document.body.dataset.buildStatus = b.status;
  });
  source.addEventListener("end", function (e) {
    source.close();
    log.dataset.live = "false";
    document.body.dataset.buildStatus = e.data;
    const stop = document.getElementById("stop-form");
    const retry = document.getElementById("retry-form");
    if (stop) stop.hidden = true;
    if (retry) retry.hidden = false;
    // Exported variables and artifacts are known now: take them from a fresh copy of the page.
    // Accept: text/html is what routes the request to the console rather than to S3.
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.text(); })
      .then(function (text) {
        const fresh = new DOMParser().parseFromString(text, "text/html").querySelector(".columns");
        const columns = document.querySelector(".columns");
        if (fresh && columns) columns.replaceWith(fresh);
        document.body.dataset.final = "true";
      })
      .catch(function () {});
  });
})();
