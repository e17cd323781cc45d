// Calls to the sandbox's own control plane, and small DOM helpers shared by every page.

export async function api(path, { method = "GET", body, query } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  }
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  return { ok: response.ok, status: response.status, data };
}

export function errorText(result) {
  const err = result.data && result.data.error;
  return err ? err.message : `HTTP ${result.status}`;
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

export function pill(status) {
  return `<span class="pill s-${esc(String(status).toLowerCase())}">${esc(status)}</span>`;
}

export function money(value, currency) {
  return `${esc(value)} <span class="muted">${esc(currency)}</span>`;
}

export function when(iso) {
  if (!iso) return "";
  return esc(iso.replace("T", " ").replace(/\.\d+Z$/, "Z").replace(/Z$/, " UTC"));
}

export function toast(message, kind = "ok") {
  const box = document.getElementById("toast");
  box.innerHTML = `<div class="notice ${kind}">${esc(message)}</div>`;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.innerHTML = ""; }, 4000);
}

export function confirmDialog(text, action) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = action;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

export function copyButton(text, label) {
  return `<button type="button" class="ghost small" data-copy="${esc(text)}" aria-label="Copy ${esc(label)}">Copy</button>`;
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  try {
    await navigator.clipboard.writeText(button.dataset.copy);
    toast("Copied to the clipboard");
  } catch {
    toast("Select the text and copy it (the clipboard is not available here)", "info");
  }
});
