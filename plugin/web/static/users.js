"use strict";
(() => {
  async function change(user, changes) {
    const result = await PB.api("PATCH", `/api/v1/users/${encodeURIComponent(user.id)}`, changes);
    PB.flash(result.ok ? `${user.username} updated.` : (result.data && result.data.error.message) || "That did not work.", !result.ok);
    load();
  }

  async function load() {
    const result = await PB.api("GET", "/api/v1/users?limit=500");
    if (!result.ok) { PB.flash("Could not load the users.", true); return; }
    document.getElementById("users").replaceChildren(...result.data.items.map((user) => {
      const role = PB.el("select", {"aria-label": `Role of ${user.username}`, disabled: user.kind === "local"},
        ...["admin", "user"].map((r) => PB.el("option", {value: r, selected: r === user.role}, r)));
      role.addEventListener("change", () => change(user, {role: role.value}));
      const toggle = PB.el("button", {type: "button", onclick: () => change(user, {disabled: !user.disabled})},
        user.disabled ? "Enable" : "Disable");
      toggle.setAttribute("aria-label", `${user.disabled ? "Enable" : "Disable"} ${user.username}`);
      const check = user.access_check ? `${user.access_check}, ${PB.when(user.access_checked_at)}` :
        (user.kind === "plex" ? "not yet" : "—");
      return PB.el("tr", {}, PB.el("th", {scope: "row"}, user.username), PB.el("td", {}, user.kind),
        PB.el("td", {}, role), PB.el("td", {}, PB.when(user.last_seen_at)), PB.el("td", {}, check),
        PB.el("td", {}, user.disabled ? "disabled " : "active ", toggle));
    }));
  }
  load();
})();
