"use strict";
(() => {
  const form = document.getElementById("settings-form");
  let initial = {};

  function shown(value, type) {
    if (value === null || value === undefined) return "";
    if (type === "list") return Array.isArray(value) ? value.join(", ") : String(value);
    return String(value);
  }

  async function load() {
    const result = await PB.api("GET", "/api/v1/config");
    if (!result.ok) { PB.flash("Could not load the settings.", true); return; }
    initial = {};
    for (const box of form.querySelectorAll("[data-setting]")) {
      const name = box.dataset.setting;
      const entry = result.data.settings[name];
      const input = document.getElementById(name);
      const source = document.getElementById(name + "-source");
      if (!entry) continue;
      const secret = box.dataset.secret === "true";
      const fromEnv = entry.source === "env" || box.dataset.stored === "false";
      if (box.dataset.type === "bool") input.checked = Boolean(entry.value);
      else if (secret) { input.value = ""; input.placeholder = entry.value ? "set — type to replace" : "not set"; }
      else input.value = shown(entry.value, box.dataset.type);
      initial[name] = box.dataset.type === "bool" ? input.checked : input.value;
      if (fromEnv) {
        input.readOnly = true;
        if (box.dataset.type === "bool") input.disabled = true;
        source.textContent = entry.source === "env" ? `Set by the environment (${entry.env}).`
          : `Only from the environment (${entry.env}); now: ${entry.source}.`;
      } else {
        source.textContent = entry.source === "database" ? "Saved here." : "Default.";
      }
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const changes = {};
    for (const box of form.querySelectorAll("[data-setting]")) {
      const name = box.dataset.setting;
      const input = document.getElementById(name);
      if (input.readOnly || input.disabled) continue;
      const value = box.dataset.type === "bool" ? input.checked : input.value.trim();
      if (box.dataset.secret === "true") { if (value) changes[name] = value; continue; }
      if (value === initial[name]) continue;
      changes[name] = value === "" ? null : value;
    }
    PB.clearErrors(form);
    if (!Object.keys(changes).length) { PB.flash("Nothing changed."); return; }
    const result = await PB.api("PUT", "/api/v1/config", changes);
    if (result.ok) { PB.flash("Settings saved."); await load(); return; }
    PB.showErrors(form, result.data && result.data.error, "settings-error");
    PB.flash("Some settings are not valid; see the messages next to them.", true);
  });

  load();
})();
