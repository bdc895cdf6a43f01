"use strict";
// Shared by every page: the path prefix, API calls with the session's CSRF token, small DOM helpers.
const PB = (() => {
  const base = document.body.dataset.base || "";
  let csrf = null;

  async function csrfToken() {
    if (csrf) return csrf;
    const response = await fetch(base + "/api/v1/me", {credentials: "same-origin", headers: {Accept: "application/json"}});
    if (response.ok) csrf = (await response.json()).csrf_token || null;
    return csrf;
  }

  async function api(method, path, body) {
    const headers = {Accept: "application/json"};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") {
      const token = await csrfToken();
      if (token) headers["X-CSRF-Token"] = token;
    }
    const response = await fetch(base + path, {
      method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    if (response.status !== 204) {
      try { data = await response.json(); } catch (e) { data = null; }
    }
    if (response.status === 401 && document.body.dataset.role) {
      window.location.assign(base + "/sign-in?next=" + encodeURIComponent(window.location.pathname));
    }
    return {ok: response.ok, status: response.status, data};
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function flash(message, bad) {
    const box = document.getElementById("flash");
    box.textContent = message;
    box.classList.toggle("bad", Boolean(bad));
    box.hidden = !message;
  }

  function clearErrors(root) {
    root.querySelectorAll(".error").forEach((node) => { node.textContent = ""; });
    root.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
  }

  // Per-field errors from the API's {"error": {"fields": {...}}}: each next to its field.
  function showErrors(root, error, fallbackId) {
    clearErrors(root);
    const fields = (error && error.fields) || {};
    let placed = false;
    for (const [name, message] of Object.entries(fields)) {
      const slot = document.getElementById(name + "-error");
      const input = document.getElementById(name);
      if (slot) { slot.textContent = message; placed = true; }
      if (input) input.setAttribute("aria-invalid", "true");
    }
    if (!placed) {
      const slot = fallbackId && document.getElementById(fallbackId);
      const message = (error && error.message) || "Something went wrong.";
      if (slot) slot.textContent = message; else flash(message, true);
    }
    const first = root.querySelector("[aria-invalid='true']");
    if (first) first.focus();
  }

  function when(iso) {
    if (!iso) return "never";
    const date = typeof iso === "number" ? new Date(iso * 1000) : new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso);
    const seconds = Math.round((Date.now() - date.getTime()) / 1000);
    const span = Math.abs(seconds);
    const text = span < 60 ? `${span} s` : span < 3600 ? `${Math.round(span / 60)} min` :
      span < 86400 ? `${(span / 3600).toFixed(1)} h` : `${(span / 86400).toFixed(1)} days`;
    return seconds >= 0 ? `${text} ago` : `in ${text}`;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    if (seconds < 60) return `${Number(seconds).toFixed(1)} s`;
    if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min`;
    return `${(seconds / 3600).toFixed(1)} h`;
  }

  const signOut = document.getElementById("sign-out");
  if (signOut) {
    signOut.addEventListener("click", async () => {
      await api("POST", "/api/v1/auth/logout");
      window.location.assign(base + "/sign-in");
    });
  }

  return {base, api, el, flash, clearErrors, showErrors, when, duration, setCsrf: (token) => { csrf = token; }};
})();
