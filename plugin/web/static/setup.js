"use strict";
(() => {
  const adminForm = document.getElementById("admin-form");
  if (adminForm) {
    adminForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {setup_code: adminForm.setup_code.value, username: adminForm.username.value,
                    password: adminForm.password.value};
      const result = await PB.api("POST", "/api/v1/setup/admin", body);
      if (result.ok) { PB.setCsrf(result.data.csrf_token); window.location.reload(); return; }
      PB.showErrors(adminForm, result.data && result.data.error);
    });
    return;
  }

  const form = document.getElementById("connect-form");
  const save = document.getElementById("save");
  const library = document.getElementById("plex_library");
  const info = document.getElementById("server-info");
  let tested = null;     // the values of the last passing test: Save needs them unchanged

  let server = null;     // a server picked from the owner's Plex account: its token stays on the server side

  function values() {
    const out = {plex_url: form.plex_url.value.trim(), plex_token: form.plex_token.value.trim() || null,
                 plex_verify_tls: form.plex_verify_tls.checked};
    if (server && !out.plex_token) out.server = server;
    return out;
  }
  function same(a, b) { return a && b && a.plex_url === b.plex_url && a.plex_token === b.plex_token &&
                               a.plex_verify_tls === b.plex_verify_tls && a.server === b.server; }

  const serversStatus = document.getElementById("servers-status");
  document.getElementById("find-servers").addEventListener("click", async () => {
    const popup = window.open("", "plex-sign-in", "width=720,height=720");
    const created = await PB.api("POST", "/api/v1/setup/plex/pins");
    if (!created.ok) {
      if (popup) popup.close();
      serversStatus.textContent = "plex.tv cannot be reached: " + ((created.data && created.data.error.message) || created.status);
      return;
    }
    if (popup) popup.location.href = created.data.auth_url;
    serversStatus.textContent = "Approve the sign-in in the Plex window…";
    const poll = async () => {
      const result = await PB.api("POST", `/api/v1/setup/plex/pins/${created.data.id}/servers`);
      if (result.status === 202) { setTimeout(poll, 500); return; }
      if (popup && !popup.closed) popup.close();
      if (!result.ok) { serversStatus.textContent = (result.data && result.data.error.message) || "That did not work."; return; }
      const servers = result.data.servers;
      serversStatus.textContent = servers.length ? `${servers.length} server(s) found.` : "This Plex account owns no server.";
      document.getElementById("servers").replaceChildren(...servers.map((s) => {
        const tried = s.connections.map((c) => `${c.uri} ${c.ok ? "answers" : "does not answer"}`).join("; ");
        if (!s.url) return PB.el("li", {}, `${s.name}: no connection answered (${tried}).`);
        return PB.el("li", {}, PB.el("button", {type: "button", onclick: () => {
          server = s.machine_identifier;
          form.plex_url.value = s.url;
          form.plex_token.value = "";
          form.plex_token.placeholder = `from your Plex account (${s.name})`;
          refresh();
          document.getElementById("test-connection").focus();
        }}, `Use ${s.name} (${s.url})`), PB.el("span", {class: "hint"}, ` ${tried}`));
      }));
    };
    setTimeout(poll, 500);
  });
  function refresh() { save.disabled = !(same(tested, values()) && library.value); }
  form.plex_token.addEventListener("input", () => { if (form.plex_token.value) server = null; });
  for (const input of [form.plex_url, form.plex_token, form.plex_verify_tls]) {
    input.addEventListener("input", refresh);
    input.addEventListener("change", refresh);
  }
  library.addEventListener("change", refresh);

  document.getElementById("test-connection").addEventListener("click", async () => {
    const body = values();
    info.textContent = "Testing…";
    tested = null;
    refresh();
    const result = await PB.api("POST", "/api/v1/setup/test", body);
    if (!result.ok) {
      info.textContent = "";
      library.replaceChildren(PB.el("option", {value: "", text: "Test the connection first"}));
      library.disabled = true;
      PB.showErrors(form, result.data && result.data.error);
      return;
    }
    PB.clearErrors(form);
    const server = result.data.server;
    info.replaceChildren(PB.el("p", {class: "ok"},
      `Connected to ${server.friendly_name || "Plex"} — Plex Media Server ${server.version || "?"} on ${server.platform || "?"}`));
    const libraries = result.data.libraries;
    library.replaceChildren(...(libraries.length ? libraries.map((lib) =>
      PB.el("option", {value: lib.key}, `${lib.title} (${lib.count} books)`)) :
      [PB.el("option", {value: "", text: "This server has no music library"})]));
    library.disabled = !libraries.length;
    tested = body;
    refresh();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (save.disabled) return;
    const result = await PB.api("POST", "/api/v1/setup/save", {...values(), plex_library: [library.value]});
    if (!result.ok) { PB.showErrors(form, result.data && result.data.error); return; }
    PB.flash("Saved. plexbooks is connected to Plex.");
    const box = document.getElementById("scan-box");
    box.hidden = false;
    document.getElementById("start-scan").focus();
  });

  const scanStatus = document.getElementById("scan-status");
  const bar = document.getElementById("scan-progress");

  function describe(progress) {
    if (!progress) return "Starting…";
    const parts = [];
    if (progress.albums_total) parts.push(`${progress.albums_listed ?? progress.albums_total} of ${progress.albums_total} albums listed`);
    if (progress.details_total) parts.push(`details fetched for ${progress.details_fetched} of ${progress.details_total}`);
    const fraction = fractionOf(progress);
    if (fraction > 0.02 && fraction < 1 && progress.elapsed_s) {
      parts.push(`about ${PB.duration(progress.elapsed_s * (1 - fraction) / fraction)} left`);
    }
    return parts.join(" · ") || "Working…";
  }
  function fractionOf(progress) {
    if (progress.phase === "details" && progress.details_total) return 0.5 + 0.5 * progress.details_fetched / progress.details_total;
    if (progress.albums_total) return 0.5 * (progress.albums_listed || 0) / progress.albums_total;
    return 0;
  }

  document.getElementById("start-scan").addEventListener("click", async (event) => {
    event.target.disabled = true;
    let result = await PB.api("POST", "/api/v1/jobs/full_scan/run");
    const runId = result.ok ? result.data.run_id : result.data && result.data.error && result.data.error.run_id;
    if (!runId) { scanStatus.textContent = "Could not start the scan."; event.target.disabled = false; return; }
    const poll = async () => {
      result = await PB.api("GET", `/api/v1/jobs/runs/${runId}`);
      const run = result.data || {};
      if (run.status === "queued") { scanStatus.textContent = "Waiting for the worker to start the scan…"; }
      else if (run.status === "running") {
        bar.value = Math.round(100 * fractionOf(run.progress || {}));
        scanStatus.textContent = describe(run.progress);
      } else if (run.status === "ok") {
        bar.value = 100;
        const s = run.summary || {};
        scanStatus.textContent = `Done in ${PB.duration(run.duration_s)}: ${s.total} albums listed, ${s.new} new` +
          (s.details ? `, details fetched for ${s.details.fetched}` : "") + ".";
        document.getElementById("to-dashboard").focus();
        return;
      } else if (run.status === "failed") {
        scanStatus.textContent = `The scan failed: ${run.error || run.error_class}`;
        event.target.disabled = false;
        return;
      }
      setTimeout(poll, 400);
    };
    poll();
  });
})();
