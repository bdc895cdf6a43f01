"use strict";
(() => {
  const box = document.getElementById("sign-in");
  const next = box.dataset.next || (PB.base + "/");
  const status = document.getElementById("plex-status");

  function done() { window.location.assign(next); }

  const form = document.getElementById("local-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    PB.clearErrors(form);
    const body = {username: form.username.value, password: form.password.value};
    const result = await PB.api("POST", "/api/v1/auth/login", body);
    if (result.ok) { PB.setCsrf(result.data.csrf_token); done(); return; }
    const error = (result.data && result.data.error) || {};
    if (result.status === 401) {
      document.getElementById("local-error").textContent = "Wrong username or password.";
      form.password.setAttribute("aria-invalid", "true");
      form.password.focus();
    } else {
      PB.showErrors(form, error, "local-error");
    }
  });

  // The PIN flow: a Plex window opens; this page asks plexbooks every second whether the PIN was claimed.
  document.getElementById("plex-sign-in").addEventListener("click", async () => {
    const popup = window.open("", "plex-sign-in", "width=720,height=720");
    status.textContent = "Asking Plex for a sign-in code…";
    const created = await PB.api("POST", "/api/v1/auth/plex/pins", {next});
    if (!created.ok) {
      if (popup) popup.close();
      status.textContent = "Plex sign-in is not available: " + ((created.data && created.data.error.message) || created.status);
      return;
    }
    const pin = created.data;
    if (popup) popup.location.href = pin.auth_url; else { window.location.assign(pin.auth_url); return; }
    status.textContent = "Approve the sign-in in the Plex window; this page continues by itself.";
    const expires = Date.parse(pin.expires_at) || (Date.now() + 15 * 60 * 1000);
    const poll = async () => {
      if (Date.now() > expires) { status.textContent = "The sign-in code expired; press the button again."; return; }
      const claim = await PB.api("POST", `/api/v1/auth/plex/pins/${pin.id}/claim`);
      if (claim.status === 202) { setTimeout(poll, 500); return; }
      if (claim.ok) { if (popup && !popup.closed) popup.close(); done(); return; }
      // The Plex window's own redirect may have finished the sign-in first (the PIN is used then,
      // and this tab now holds a session it has no CSRF token for): signed in all the same.
      // That redirect may still be under way: give it a few seconds before calling it a failure.
      const error = (claim.data && claim.data.error) || {};
      const tries = ["pin_expired", "csrf_failed"].includes(error.code) ? 12 : 1;
      for (let i = 0; i < tries; i += 1) {
        const me = await fetch(PB.base + "/api/v1/me", {credentials: "same-origin"});
        if (me.ok) { if (popup && !popup.closed) popup.close(); done(); return; }
        if (i + 1 < tries) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      status.textContent = error.code === "no_server_access"
        ? "This Plex account has no access to this Plex server. Ask the server owner to share it with you."
        : "Plex sign-in failed: " + (error.message || claim.status);
    };
    setTimeout(poll, 500);
  });
})();
