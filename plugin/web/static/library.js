"use strict";
(() => {
  const SOURCES = {field: "a dedicated field", agent: "the Audible agent's guid", guid: "the external guids",
                   path: "the folder or file name", folder: "the folder name", file: "the file name"};
  const list = document.getElementById("books");
  const more = document.getElementById("more");
  let query = "";
  let offset = 0;

  function card(item) {
    const cover = PB.el("img", {src: `${PB.base}/api/v1/library/${encodeURIComponent(item.rating_key)}/cover`,
                                alt: "", loading: "lazy", width: 64, height: 64});
    cover.addEventListener("error", () => { cover.removeAttribute("src"); }, {once: true});
    const asin = item.asin ? `ASIN ${item.asin}` + (item.asin_source ? ` (from ${SOURCES[item.asin_source] || item.asin_source})` : "")
      : "No ASIN";
    return PB.el("li", {class: "book"}, cover,
      PB.el("div", {},
        PB.el("h3", {}, item.title),
        PB.el("p", {}, item.author ? `by ${item.author}` : "author unknown"),
        item.narrator ? PB.el("p", {}, `read by ${item.narrator}`) : null,
        PB.el("p", {}, asin)));
  }

  async function load(reset) {
    if (reset) { offset = 0; list.replaceChildren(); }
    const params = new URLSearchParams({limit: "48", offset: String(offset)});
    if (query) params.set("q", query);
    const result = await PB.api("GET", `/api/v1/library?${params}`);
    if (!result.ok) { PB.flash((result.data && result.data.error.message) || "Could not load the library.", true); return; }
    list.append(...result.data.items.map(card));
    offset += result.data.items.length;
    document.getElementById("library-total").textContent =
      `${result.data.total} ${result.data.total === 1 ? "book" : "books"}${query ? ` matching “${query}”` : ""}`;
    more.hidden = offset >= result.data.total;
  }

  document.getElementById("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    query = document.getElementById("q").value.trim();
    load(true);
  });
  more.addEventListener("click", () => load(false));
  load(true);
})();
