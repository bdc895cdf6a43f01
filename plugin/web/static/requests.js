"use strict";
(() => {
  const form = document.getElementById("filter-form");
  async function load() {
    const params = new URLSearchParams({limit: "200"});
    if (form.status.value) params.set("status", form.status.value);
    if (form.user && form.user.value.trim()) params.set("user", form.user.value.trim());
    const result = await PB.api("GET", `/api/v1/requests?${params}`);
    if (!result.ok) { PB.flash((result.data && result.data.error.message) || "Could not load the requests.", true); return; }
    document.getElementById("requests-total").textContent = `${result.data.total} requests`;
    document.getElementById("requests").replaceChildren(...result.data.items.map((r) => PB.el("tr", {},
      PB.el("td", {}, PB.el("a", {href: `${PB.base}/requests/${r.id}`}, r.title)),
      PB.el("td", {}, r.author || ""),
      PB.el("td", {}, r.user || ""),
      PB.el("td", {}, r.status.replace(/_/g, " ")),
      PB.el("td", {}, r.library_item ? r.library_item.title : ""))));
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  load();
})();
