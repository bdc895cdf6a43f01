"use strict";
(() => {
  const text = (id, value, cls) => {
    const node = document.getElementById(id);
    node.textContent = value;
    node.className = cls || "";
  };
  const JOB_NAMES = {full_scan: "Full scan", recently_added: "Recently-added poll", access_recheck: "Access re-check"};

  function every(seconds) {
    if (!seconds) return "—";
    if (seconds % 3600 === 0) return `every ${seconds / 3600} h`;
    if (seconds >= 3600) return `every ${(seconds / 3600).toFixed(1)} h`;
    return `every ${Math.round(seconds / 60)} min`;
  }

  function runText(run) {
    if (!run) return "never";
    if (run.status === "queued" || run.status === "running") return `${run.status} since ${PB.when(run.started_at)}`;
    const s = run.summary || {};
    const counts = s.total !== undefined ? ` — ${s.total} albums, ${s.new || 0} new, ${s.updated || 0} updated` : "";
    return run.status === "ok" ? `${PB.when(run.finished_at)}, ok${counts}` :
      `${PB.when(run.finished_at || run.started_at)}, ${run.status}: ${run.error || run.error_class || ""}`;
  }

  function diagnose(status) {
    const out = [];
    const plex = status.plex || {};
    if (!plex.reachable) {
      const why = {
        not_configured: "No Plex server is configured yet: open the first-run page.",
        plex_unauthorized: "Plex refuses plexbooks' token: it was probably revoked or changed. Enter a new token in Settings.",
        plex_unreachable: "Plex does not answer: the server is down or the URL is wrong.",
        plex_tls_error: "Plex answers, but its TLS certificate is not accepted: use http:// or turn verification off.",
      }[plex.error_class] || `Plex fails: ${plex.error || plex.error_class}.`;
      out.push([why, true]);
    }
    if (!status.library_configured) out.push(["No audiobook library is chosen: pick it on the first-run page.", true]);
    if (!(status.worker || {}).alive) out.push(["The worker is not running: scans, polls and real-time events wait until it does.", true]);
    if (status.webhook && !status.webhook.last_received_at) {
      out.push(["No webhook has arrived yet. If you added the URL in Plex: webhooks need Plex Pass on the owner's " +
                "account and push notifications on. The websocket and the poll still find new books.", false]);
    }
    const deletion = status.deletion || {};
    if (deletion.enabled && deletion.refused_at) {
      out.push([`Deleting from Plex is on here, but Plex refused it (last on ${PB.when(deletion.refused_at)}): ` +
                "turn on \"Allow media deletion\" in Plex (Settings > Library), or turn deletion off here.", true]);
    }
    if ((status.inbox || {}).failed) out.push([`${status.inbox.failed} real-time events failed every retry; the next poll or scan still picks those books up.`, true]);
    if (!out.length) out.push(["Everything looks fine.", false]);
    return out;
  }

  async function load() {
    const [statusResult, jobsResult] = await Promise.all([PB.api("GET", "/api/v1/status"), PB.api("GET", "/api/v1/jobs")]);
    if (statusResult.ok) {
      const status = statusResult.data;
      const plex = status.plex || {};
      text("plex-state", plex.reachable
        ? `Answering since ${PB.when(plex.since)}: ${plex.friendly_name || "Plex"} ${plex.version || ""} (${plex.platform || ""})`
        : `Not answering since ${PB.when(plex.since)}: ${plex.error || plex.error_class}`, plex.reachable ? "ok" : "bad");
      text("library-count", `${status.counts.library_items} books in the library, ${status.counts.requests} requests`);
      const ws = status.websocket || {};
      text("websocket-state", ws.connected ? "Websocket: connected" : "Websocket: not connected", ws.connected ? "ok" : "bad");
      const inbox = status.inbox || {};
      text("inbox-state", `Inbox: ${inbox.pending} pending, ${inbox.failed} failed, ${inbox.retrying ?? 0} waiting to retry`);
      text("worker-state", (status.worker || {}).alive ? "Worker: running" : "Worker: not running", (status.worker || {}).alive ? "ok" : "bad");
      text("last-scan", "Full scan: " + runText(status.last_scan));
      text("last-poll", "Recently-added poll: " + runText(status.last_recent_poll));
      document.getElementById("webhook-url").value = status.webhook.url;
      text("webhook-last", status.webhook.last_received_at ? `Last webhook ${PB.when(status.webhook.last_received_at)}.` : "No webhook has arrived yet.");
      document.getElementById("diagnosis").replaceChildren(...diagnose(status).map(([message, bad]) =>
        PB.el("li", {class: bad ? "bad" : ""}, message)));
    }
    if (jobsResult.ok) {
      document.getElementById("jobs").replaceChildren(...jobsResult.data.items.map((job) => {
        const last = job.current_run || job.last_run;
        const button = PB.el("button", {type: "button", "data-job": job.name, disabled: job.running || job.queued,
                                        onclick: () => runNow(job.name, button)}, "Run now");
        button.setAttribute("aria-label", `Run now: ${JOB_NAMES[job.name] || job.name}`);
        return PB.el("tr", {},
          PB.el("th", {scope: "row"}, JOB_NAMES[job.name] || job.name),
          PB.el("td", {}, every(job.every_s)),
          PB.el("td", {}, job.running ? "running now" : job.queued ? "queued" : runText(last)),
          PB.el("td", {}, PB.duration(last && last.duration_s)),
          PB.el("td", {}, job.next_run ? PB.when(job.next_run) : "—"),
          PB.el("td", {}, button));
      }));
    }
  }

  async function runNow(name, button) {
    button.disabled = true;
    const result = await PB.api("POST", `/api/v1/jobs/${name}/run`);
    if (result.ok) PB.flash(`${JOB_NAMES[name] || name} queued (run ${result.data.run_id}).`);
    else PB.flash(result.data && result.data.error ? result.data.error.message : "Could not queue the job.", true);
    load();
  }

  document.getElementById("copy-webhook").addEventListener("click", async () => {
    const input = document.getElementById("webhook-url");
    try {
      await navigator.clipboard.writeText(input.value);
    } catch (e) {
      input.select();
      document.execCommand("copy");
    }
    text("copy-status", "Copied to the clipboard.", "hint");
  });

  load();
  setInterval(load, 5000);
})();
