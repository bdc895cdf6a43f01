"use strict";
(() => {
  const box = document.getElementById("request");
  const id = box.dataset.id;
  const admin = box.dataset.admin === "true";
  const REASONS = {asin_field: "the ASINs are equal", asin_guid: "the ASIN in Plex's guid is equal",
                   asin_path: "the ASIN in the file name is equal", fuzzy: "title and author are close enough",
                   manual: "an admin linked it by hand", asin_mismatch: "both have ASINs and they differ",
                   below_threshold: "title and author are not close enough"};
  const pct = (value) => value === null || value === undefined ? "—" : `${Math.round(value * 100)}%`;

  async function load() {
    const result = await PB.api("GET", `/api/v1/requests/${id}`);
    if (!result.ok) { PB.flash("This request does not exist (or is not yours).", true); return; }
    const r = result.data;
    document.getElementById("req-heading").textContent = r.title;
    const rows = [["Author", r.author], ["Narrator", r.narrator], ["ASIN", r.asin], ["Requested by", r.user],
                  ["Status", r.status.replace(/_/g, " ")], ["Error", r.error_message],
                  ["Created", PB.when(r.created_at)], ["Completed", r.completed_at ? PB.when(r.completed_at) : null]];
    document.getElementById("req-fields").replaceChildren(...rows.filter(([, v]) => v).flatMap(([k, v]) =>
      [PB.el("dt", {}, k), PB.el("dd", {}, v)]));
    const match = r.match;
    document.getElementById("match-text").textContent = match && r.library_item
      ? `Linked to “${r.library_item.title}” by ${r.library_item.author || "?"}: ${REASONS[match.reason] || match.reason}` +
        ` (score ${pct(match.score)}${match.details && match.details.title_score !== undefined ?
          `; title ${pct(match.details.title_score)}, author ${pct(match.details.author_score)}` : ""}).`
      : "Not in the library yet.";
    if (admin) loadCandidates(r);
  }

  async function loadCandidates(r) {
    const result = await PB.api("GET", `/api/v1/requests/${id}/candidates?limit=10`);
    const body = document.getElementById("candidates");
    if (!result.ok) { body.replaceChildren(); return; }
    const open = !["available", "cancelled", "denied"].includes(r.status);
    if (!result.data.items.length) {
      body.replaceChildren(PB.el("tr", {}, PB.el("td", {colspan: 5}, "No book in the library comes close.")));
      return;
    }
    body.replaceChildren(...result.data.items.map((c) => {
      const item = c.library_item || {};
      const why = (REASONS[c.reason] || c.reason) + (c.guard ? ` (${c.guard.replace(/_/g, " ")})` : "");
      const actions = PB.el("td", {});
      if (open && item.id) {
        actions.append(
          PB.el("button", {type: "button", "aria-label": `Accept “${item.title}”`, onclick: () => review(item.id, "accept")}, "Accept"),
          " ",
          PB.el("button", {type: "button", "aria-label": `Reject “${item.title}”`, onclick: () => review(item.id, "reject")}, "Reject"));
      }
      return PB.el("tr", {"data-item": item.id}, PB.el("td", {}, item.title || "?"), PB.el("td", {}, item.author || ""),
        PB.el("td", {}, pct(c.score)), PB.el("td", {}, why), actions);
    }));
  }

  async function review(itemId, verdict) {
    const result = await PB.api("POST", `/api/v1/requests/${id}/candidates/${itemId}/${verdict}`);
    if (!result.ok) { PB.flash((result.data && result.data.error.message) || "That did not work.", true); return; }
    PB.flash(verdict === "accept" ? "Linked: the request is available." : "Rejected: it will not be proposed again.");
    load();
  }

  load();
})();
