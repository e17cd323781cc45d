// The dashboard's router: one page per hash route, rendered into <main>.
import { api, when } from "./api.js";
import * as pages from "./pages.js";

const routes = [
  [/^#?\/?$/, pages.overview],
  [/^#\/invoices$/, pages.invoices],
  [/^#\/invoice\/([a-z]+)\/(\d+)$/, pages.invoice],
  [/^#\/journal$/, pages.journal],
  [/^#\/clock$/, pages.clock],
  [/^#\/faults$/, pages.faults],
  [/^#\/reset$/, pages.reset],
];

let leave = null; // the current page's cleanup (e.g. closing the journal's event stream)
let latest = 0; // renders overlap when the hash changes quickly; only the newest is shown

async function render() {
  const [hash, search] = location.hash.split("?");
  const params = new URLSearchParams(search || "");
  const main = document.getElementById("main");
  const mine = ++latest;
  if (leave) { leave(); leave = null; }
  for (const link of document.querySelectorAll("#nav a")) {
    const target = link.getAttribute("href");
    const current = target === "#/" ? (hash === "" || hash === "#/") : hash.startsWith(target.replace(/s$/, ""));
    if (current) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  for (const [pattern, page] of routes) {
    const match = (hash || "#/").match(pattern);
    if (match) {
      const view = document.createElement("div");
      const cleanup = (await page(view, params, ...match.slice(1))) || null;
      if (mine !== latest) { if (cleanup) cleanup(); return; }
      leave = cleanup;
      main.replaceChildren(view);
      refreshClock();
      return;
    }
  }
  main.innerHTML = `<h1>Not found</h1><p><a href="#/">Back to the overview</a></p>`;
}

export async function refreshClock() {
  const result = await api("/_sandbox/clock");
  const chip = document.getElementById("clock-chip");
  if (!result.ok) return;
  chip.innerHTML = `${result.data.frozen ? "❄ " : ""}${when(result.data.now)}`;
  chip.classList.toggle("frozen", result.data.frozen);
  chip.setAttribute("aria-label", `Sandbox clock: ${result.data.now}${result.data.frozen ? ", frozen" : ""}`);
}

export function navigate(hash) {
  if (location.hash === hash) render(); else location.hash = hash;
}

window.addEventListener("hashchange", render);
setInterval(refreshClock, 15000);
render();
