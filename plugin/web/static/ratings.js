"use strict";
(async () => {
  const result = await PB.api("GET", "/api/v1/me/ratings");
  const body = document.getElementById("ratings");
  if (!result.ok) { PB.flash((result.data && result.data.error.message) || "Could not read your ratings.", true); return; }
  if (!result.data.items.length) { body.replaceChildren(PB.el("tr", {}, PB.el("td", {colspan: 3}, "You have not rated any book yet."))); return; }
  body.replaceChildren(...result.data.items.map((r) => PB.el("tr", {},
    PB.el("td", {}, r.title || r.rating_key), PB.el("td", {}, r.author || ""),
    PB.el("td", {}, r.user_rating === null || r.user_rating === undefined ? "—" : `${r.user_rating / 2} of 5`))));
})();
