// The dashboard's pages. Each renders into `main` and may return a cleanup function.
import { api, confirmDialog, copyButton, errorText, esc, money, pill, toast, when } from "./api.js";
import { navigate, refreshClock } from "./app.js";

const PROVIDERS = ["maast", "payone", "harvest", "transportone"];
const PROVIDER_NAMES = { maast: "Maast", payone: "PayOne SmartLink", harvest: "Harvest v1", transportone: "TransportOne" };

function options(values, selected, any = "Any") {
  return `<option value="">${esc(any)}</option>` + values.map((v) =>
    `<option value="${esc(v)}"${v === selected ? " selected" : ""}>${esc(PROVIDER_NAMES[v] || v)}</option>`).join("");
}

function failed(main, result) {
  main.innerHTML = `<h1>Something went wrong</h1><div class="notice bad">${esc(errorText(result))}</div>`;
}

// --- overview ---------------------------------------------------------------------------------

export async function overview(main) {
  const [summary, tenants, faults] = await Promise.all([
    api("/_sandbox/overview"), api("/_sandbox/tenants"), api("/_sandbox/faults")]);
  if (!summary.ok || !tenants.ok) return failed(main, summary.ok ? tenants : summary);
  const cards = summary.data.providers.map((p) => {
    const total = Object.values(p.invoices).reduce((a, b) => a + b, 0);
    const chips = Object.entries(p.invoices).sort().map(([status, n]) =>
      `<a class="pill s-${esc(status.toLowerCase())}" href="#/invoices?provider=${esc(p.name)}&status=${esc(status)}">${esc(status)} ${n}</a>`).join("");
    return `<section class="panel provider-card" aria-labelledby="p-${esc(p.name)}">
      <h2 id="p-${esc(p.name)}"><a href="#/invoices?provider=${esc(p.name)}">${esc(PROVIDER_NAMES[p.name] || p.name)}</a>
        <span class="count" aria-label="${total} invoices">${total}</span></h2>
      <p class="muted">${p.tenants} tenant${p.tenants === 1 ? "" : "s"} · invoices by status</p>
      <div class="pills">${chips || '<span class="muted">No invoices yet</span>'}</div></section>`;
  }).join("");
  const rows = tenants.data.tenants.map((t) => {
    const creds = Object.entries(t.access).map(([k, v]) =>
      `<div class="copyline"><span class="muted">${esc(k)}</span></div>
       <div class="copyline"><code>${esc(v)}</code>${copyButton(v, `${k} of ${t.key}`)}</div>`).join("");
    return `<tr>
      <td>${esc(PROVIDER_NAMES[t.provider] || t.provider)}</td>
      <td><a href="#/invoices?provider=${esc(t.provider)}&tenant=${encodeURIComponent(t.key)}" class="num">${esc(t.key)}</a>
        ${t.name !== t.key ? `<div class="muted">${esc(t.name)}</div>` : ""}</td>
      <td class="n">${t.invoice_count}</td>
      <td><details><summary>Credentials and curl</summary>${creds}</details></td></tr>`;
  }).join("");
  const deliveries = summary.data.deliveries.map((d) => `<tr><td>${when(d.created_at)}</td>
      <td>${esc(d.event)}</td><td class="mono">${esc(d.url)}</td><td>${pill(d.state)}</td><td class="n">${d.attempts}</td></tr>`).join("");
  const rules = (faults.ok ? faults.data.faults : []).map((f) => `<li>${esc(f.action)} ·
      ${esc(f.provider || "any provider")} ${esc(f.method || "")} ${esc(f.path || f.path_regex || "")}
      <span class="muted">(${f.remaining === null ? "until removed" : `${f.remaining} left`})</span></li>`).join("");
  const clock = summary.data.clock;
  main.innerHTML = `<h1>Overview</h1>
    <div class="grid providers">${cards}</div>
    <div class="grid two">
      <section class="panel" aria-labelledby="clock-title"><h2 id="clock-title">Clock</h2>
        <p><span class="mono">${when(clock.now)}</span> · ${clock.frozen ? "frozen" : "running"} · <a href="#/clock">Move time</a></p></section>
      <section class="panel" aria-labelledby="faults-title"><h2 id="faults-title">Faults</h2>
        ${rules ? `<ul>${rules}</ul>` : '<p class="muted">No fault rules: every call answers normally.</p>'}
        <a href="#/faults">Manage faults</a></section>
    </div>
    <section class="panel" aria-labelledby="tenants-title"><h2 id="tenants-title">Tenants</h2>
      <div class="table-wrap"><table class="tenants"><thead><tr><th scope="col">Provider</th><th scope="col">Tenant</th>
      <th scope="col" class="n">Invoices</th><th scope="col">Access</th></tr></thead><tbody>${rows ||
      '<tr><td colspan="4" class="empty">No tenants: call a provider API with any credentials to create one.</td></tr>'}</tbody></table></div></section>
    <section class="panel" aria-labelledby="deliveries-title"><h2 id="deliveries-title">Recent deliveries</h2>
      ${deliveries ? `<div class="table-wrap"><table><thead><tr><th scope="col">Created</th><th scope="col">Event</th><th scope="col">Target</th>
      <th scope="col">State</th><th scope="col" class="n">Attempts</th></tr></thead><tbody>${deliveries}</tbody></table></div>`
      : '<p class="muted">No webhooks or callbacks sent yet.</p>'}</section>`;
}

// --- invoices ---------------------------------------------------------------------------------

export async function invoices(main, params) {
  const query = Object.fromEntries(params.entries());
  query.sort = query.sort || "-created";
  const [listing, tenants] = await Promise.all([
    api("/_sandbox/invoices", { query: { ...query, per_page: query.per_page || 25 } }),
    api("/_sandbox/tenants", { query: { provider: query.provider } })]);
  if (!listing.ok) return failed(main, listing);
  const page = listing.data;
  const keys = tenants.ok ? [...new Set(tenants.data.tenants.map((t) => t.key))] : [];
  const sortButton = (key, label) => {
    const active = query.sort.replace("-", "") === key;
    const next = active && !query.sort.startsWith("-") ? `-${key}` : (active ? key : `-${key}`);
    const arrow = active ? (query.sort.startsWith("-") ? " ↓" : " ↑") : "";
    return `<button type="button" class="sort" data-sort="${next}" aria-pressed="${active}" aria-label="Sort by ${label}">${label}${arrow}</button>`;
  };
  const rows = page.invoices.map((i) => `<tr>
      <td>${esc(PROVIDER_NAMES[i.provider] || i.provider)}</td>
      <td class="hide-sm">${esc(i.tenant)}</td>
      <td><a class="num" href="#/invoice/${i.provider}/${i.id}">${esc(i.number || i.ref || `#${i.id}`)}</a></td>
      <td>${pill(i.status)}</td>
      <td class="n">${esc(i.total)}</td><td class="n hide-sm">${esc(i.paid)}</td><td class="n">${esc(i.balance)}</td>
      <td class="hide-sm">${esc(i.currency_label)}</td><td class="hide-sm">${esc(i.due_date || (i.expires_at || "").slice(0, 10))}</td></tr>`).join("");
  main.innerHTML = `<h1>Invoices</h1>
    <form class="panel row" id="filters" role="search" aria-label="Filter invoices">
      <label>Provider <select name="provider">${options(PROVIDERS, query.provider || "")}</select></label>
      <label>Tenant <select name="tenant">${options(keys, query.tenant || "")}</select></label>
      <label>Status <input name="status" value="${esc(query.status || "")}" size="12" placeholder="e.g. PAID"></label>
      <label>Search <input name="q" type="search" value="${esc(query.q || "")}" placeholder="number or id" size="16"></label>
      <button type="submit">Filter invoices</button>
      <button type="button" class="ghost" id="clear-filters">Clear filters</button>
    </form>
    <section class="panel" aria-labelledby="list-title">
      <h2 id="list-title">${page.total} invoice${page.total === 1 ? "" : "s"}</h2>
      <div class="table-wrap"><table class="invoices"><thead><tr>
        <th scope="col">Provider</th><th scope="col" class="hide-sm">Tenant</th><th scope="col">${sortButton("number", "Number")}</th>
        <th scope="col">Status</th><th scope="col" class="n">${sortButton("amount", "Total")}</th><th scope="col" class="n hide-sm">Paid</th>
        <th scope="col" class="n">${sortButton("balance", "Balance")}</th><th scope="col" class="hide-sm">Currency</th>
        <th scope="col" class="hide-sm">${sortButton("due", "Due date")}</th></tr></thead>
        <tbody>${rows || '<tr><td colspan="9" class="empty">No invoice matches.</td></tr>'}</tbody></table></div>
      <nav class="pager" aria-label="Pages">
        <button type="button" class="ghost" id="prev" ${page.page <= 1 ? "disabled" : ""}>Previous page</button>
        <span>Page ${page.page} of ${Math.max(page.pages, 1)}</span>
        <button type="button" class="ghost" id="next" ${page.page >= page.pages ? "disabled" : ""}>Next page</button>
        <button type="button" class="ghost" data-sort="-created" aria-label="Sort by date created">Newest first</button>
      </nav>
    </section>`;
  const go = (changes) => {
    const next = new URLSearchParams({ ...query, ...changes });
    for (const [k, v] of [...next.entries()]) if (!v) next.delete(k);
    navigate(`#/invoices?${next}`);
  };
  const form = main.querySelector("#filters");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go({ ...Object.fromEntries(new FormData(form).entries()), page: "" });
  });
  form.provider.addEventListener("change", () => go({ provider: form.provider.value, tenant: "", page: "" }));
  main.querySelector("#clear-filters").addEventListener("click", () => navigate("#/invoices"));
  main.querySelector("#prev").addEventListener("click", () => go({ page: String(page.page - 1) }));
  main.querySelector("#next").addEventListener("click", () => go({ page: String(page.page + 1) }));
  for (const button of main.querySelectorAll("[data-sort]")) {
    button.addEventListener("click", () => go({ sort: button.dataset.sort, page: "" }));
  }
}

// --- one invoice ------------------------------------------------------------------------------

function pretty(raw) {
  if (!raw.media_type.includes("json")) return raw.text;
  try { return JSON.stringify(JSON.parse(raw.text), null, 2); } catch { return raw.text; }
}

export async function invoice(main, params, provider, id) {
  const result = await api(`/_sandbox/invoices/${provider}/${id}`);
  if (!result.ok) return failed(main, result);
  const i = result.data;
  const cur = i.currency_label;
  const lines = i.lines.map((l) => `<tr><td>${esc(l.description)}</td><td class="n">${esc(l.quantity ?? "")}</td>
      <td class="n">${esc(l.unit_price ?? "")}</td><td class="n">${esc(l.amount)}</td></tr>`).join("");
  const payments = i.payments.map((p) => `<tr><td>${when(p.paid_at)}</td><td>${esc(p.method)}</td>
      <td>${esc(p.made_by)}${p.card ? `<div class="mono muted">${esc(p.card)} · approval ${esc(p.approval_code)}</div>` : ""}</td>
      <td class="n">${esc(p.amount)}</td></tr>`).join("");
  const events = i.events.map((e) => `<li><strong>${esc(e.event)}</strong><time datetime="${esc(e.at)}">${when(e.at)}</time></li>`).join("");
  const deliveries = i.deliveries.map((d) => `<li>${esc(d.event)} → <span class="mono">${esc(d.url)}</span> ${pill(d.state)}
      <span class="muted">${d.attempts} attempt${d.attempts === 1 ? "" : "s"}</span></li>`).join("");
  const cards = i.test_cards.map((c) => `<option value="${esc(c.number)}">${esc(c.number)} — ${esc(c.outcome.replace(/_/g, " "))}</option>`).join("");
  const pay = i.payable ? `<form id="pay-form" class="stack">
      <div class="row">
        <label>Test card <select name="card_number" id="card">${cards}</select></label>
        <label>Amount (${esc(cur)}) <input name="amount" id="pay-amount" value="${esc(i.balance)}" inputmode="decimal" size="10"
          ${i.allow_partial ? "" : 'readonly aria-describedby="full-only"'}></label>
        <button type="submit" id="pay">Pay</button>
      </div>
      ${i.allow_partial ? "" : '<p class="muted" id="full-only">This invoice must be paid in full.</p>'}
    </form><div id="pay-result"></div>`
    : `<p class="notice info" id="not-payable">${esc(i.not_payable_reason || "Nothing to pay.")}</p>`;
  const moves = i.moves.map((m, n) => `<button type="button" class="ghost" data-move="${n}">${esc(m.label)}</button>`).join(" ");
  main.innerHTML = `<div class="inv-head">
      <div><p class="muted">${esc(PROVIDER_NAMES[i.provider])} · tenant <a href="#/invoices?provider=${esc(i.provider)}&tenant=${encodeURIComponent(i.tenant)}">${esc(i.tenant)}</a> · ${esc(i.merchant)}</p>
      <h1>Invoice ${esc(i.number || i.ref || `#${i.id}`)} <span id="inv-status">${pill(i.status)}</span></h1>
      <p class="muted">Sandbox id ${i.id}${i.ref ? ` · reference ${esc(i.ref)}` : ""} · created ${when(i.created_at)}</p></div>
      <div class="row">${i.checkout_url ? `<a class="button-link" href="${esc(i.checkout_url)}" target="_blank" rel="noopener">Open checkout</a>` : ""}
        <a href="#/invoices">All invoices</a></div>
    </div>
    <div class="amounts">
      <div class="panel stat"><span class="k">Total</span><span class="v" id="inv-total">${money(i.total, cur)}</span></div>
      <div class="panel stat"><span class="k">Paid</span><span class="v" id="inv-paid">${money(i.paid, cur)}</span></div>
      <div class="panel stat"><span class="k">Balance</span><span class="v" id="inv-balance">${money(i.balance, cur)}</span></div>
      <div class="panel stat"><span class="k">${i.due_date ? "Due date" : "Expires"}</span><span class="v">${esc(i.due_date || when(i.expires_at) || "—")}</span></div>
    </div>
    <div class="grid detail">
      <div>
        <section class="panel" aria-labelledby="pay-title"><h2 id="pay-title">Pay as the customer</h2>${pay}
          ${moves ? `<h3>Lifecycle moves</h3><div class="row">${moves}</div>` : ""}</section>
        <section class="panel" aria-labelledby="lines-title"><h2 id="lines-title">Lines</h2>
          <div class="table-wrap"><table><thead><tr><th scope="col">Description</th><th scope="col" class="n">Qty</th>
          <th scope="col" class="n">Unit</th><th scope="col" class="n">Amount</th></tr></thead><tbody>${lines}</tbody></table></div>
          <dl class="kv totals"><dt>Subtotal</dt><dd>${esc(i.sub_total)}</dd>
          ${i.discount !== "0" && !/^0\.0+$/.test(i.discount) ? `<dt>Discount</dt><dd>-${esc(i.discount)}</dd>` : ""}
          <dt>Tax</dt><dd>${esc(i.tax)}</dd><dt>Total</dt><dd class="big">${money(i.total, cur)}</dd>
          <dt>Refunded</dt><dd>${esc(i.refunded)}</dd></dl></section>
        <section class="panel" aria-labelledby="payments-title"><h2 id="payments-title">Payments</h2>
          ${payments ? `<div class="table-wrap"><table id="payments"><thead><tr><th scope="col">When</th><th scope="col">Method</th><th scope="col">Made by</th>
          <th scope="col" class="n">Amount</th></tr></thead><tbody>${payments}</tbody></table></div>` : '<p class="muted">No payments yet.</p>'}</section>
        <section class="panel" aria-labelledby="raw-title"><h2 id="raw-title">As the ${esc(PROVIDER_NAMES[i.provider])} API returns it</h2>
          ${i.raw ? `<p class="muted mono">${esc(i.raw.media_type)}</p><pre class="raw" tabindex="0" aria-label="Provider response">${esc(pretty(i.raw))}</pre>` : ""}</section>
      </div>
      <div>
        <section class="panel" aria-labelledby="events-title"><h2 id="events-title">Lifecycle</h2><ol class="timeline">${events}</ol></section>
        <section class="panel" aria-labelledby="del-title"><h2 id="del-title">Deliveries</h2>
          ${deliveries ? `<ul>${deliveries}</ul>` : '<p class="muted">No notification about this invoice.</p>'}</section>
        <section class="panel" aria-labelledby="link-title"><h2 id="link-title">Checkout link</h2>
          ${i.checkout_url ? `<div class="copyline"><code>${esc(i.checkout_url)}</code>${copyButton(i.checkout_url, "checkout link")}</div>`
            : '<p class="muted">None: this invoice has no hosted checkout page.</p>'}</section>
      </div>
    </div>`;
  const reload = () => invoice(main, params, provider, id);
  const form = main.querySelector("#pay-form");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const token = i.checkout_url.split("/").pop();
      const body = { card_number: form.card_number.value, amount: form.amount.value };
      const paid = await api(`/_sandbox/checkout/${token}/pay`, { method: "POST", body });
      await reload();
      const box = main.querySelector("#pay-result") || main.querySelector("#pay-title").parentElement;
      const note = document.createElement("p");
      note.id = "pay-outcome";
      note.setAttribute("role", "status");
      if (paid.ok) {
        note.className = "notice ok";
        note.textContent = `Approved: ${paid.data.amount} charged to ${paid.data.card_masked}, approval code ${paid.data.approval_code}.`;
      } else {
        note.className = "notice bad";
        note.textContent = `Declined: ${errorText(paid)}`;
      }
      box.append(note);
    });
  }
  for (const button of main.querySelectorAll("[data-move]")) {
    button.addEventListener("click", async () => {
      const move = i.moves[Number(button.dataset.move)];
      const moved = await api(move.path, { method: move.method, body: {} });
      toast(moved.ok ? `${move.label}: done` : `${move.label} refused: ${errorText(moved)}`, moved.ok ? "ok" : "bad");
      reload();
    });
  }
}

// --- journal ----------------------------------------------------------------------------------

function readable(body) {
  if (!/^\s*[[{]/.test(body)) return body;
  try { return JSON.stringify(JSON.parse(body), null, 2); } catch { return body; }
}

function exchange(entry) {
  const headers = (h) => Object.entries(h).map(([k, v]) => `${k}: ${v}`).join("\n");
  const query = entry.query ? `?${entry.query}` : "";
  return `<div class="exchange">
    <div><h3>Request</h3><pre>${esc(`${entry.method} ${entry.path}${query}\n${headers(entry.request.headers)}\n\n${readable(entry.request.body)}`)}</pre></div>
    <div><h3>Response ${esc(entry.status)}${entry.fault ? ` · fault ${esc(entry.fault.action || "")}` : ""}</h3>
      <pre>${esc(`${headers(entry.response.headers)}\n\n${readable(entry.response.body)}`)}</pre></div></div>`;
}

function journalItem(entry, fresh) {
  const li = document.createElement("li");
  li.dataset.id = entry.id;
  if (fresh) li.className = "fresh";
  const code = entry.status ? String(entry.status)[0] : "";
  li.innerHTML = `<details><summary>
      <span class="mono hide-sm">${esc(entry.time.slice(11, 19))}</span>
      <span class="hide-sm">${esc(entry.provider || "unknown")}</span>
      <span class="method">${esc(entry.method)}</span>
      <span class="path">${esc(entry.path)}${entry.query ? `<span class="muted">?${esc(entry.query)}</span>` : ""}</span>
      <span class="mono code-${code}">${esc(entry.status)}</span>
      <span class="mono muted hide-sm">${Math.round(entry.duration_ms)} ms</span></summary></details>`;
  li.querySelector("details").addEventListener("toggle", (event) => {
    const details = event.target;
    if (details.open && !details.querySelector(".exchange")) details.insertAdjacentHTML("beforeend", exchange(entry));
  }, { once: false });
  return li;
}

export async function journal(main, params) {
  const filters = Object.fromEntries(params.entries());
  const methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
  main.innerHTML = `<h1>Journal</h1>
    <p class="sub">Every request your app sent to a provider API, newest first, with credentials redacted.</p>
    <form class="panel row" id="journal-filters" role="search" aria-label="Filter requests">
      <label>Provider <select name="provider">${options(PROVIDERS, filters.provider || "")}</select></label>
      <label>Method <select name="method">${options(methods, filters.method || "")}</select></label>
      <label>Status <input name="status" value="${esc(filters.status || "")}" size="6" placeholder="4xx"></label>
      <label>Path contains <input name="path" value="${esc(filters.path || "")}" size="18"></label>
      <button type="submit">Filter requests</button>
      <button type="button" class="ghost" id="clear-journal">Clear journal</button>
      <span class="live" id="live" role="status">connecting</span>
    </form>
    <section class="panel"><ul class="journal-list" id="journal" aria-label="Requests"></ul>
      <p class="empty" id="journal-empty">No requests yet. Point your app at this sandbox and they appear here as they happen.</p></section>`;
  const form = main.querySelector("#journal-filters");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams([...new FormData(form).entries()].filter(([, v]) => v));
    navigate(`#/journal?${next}`);
  });
  const list = main.querySelector("#journal");
  const empty = main.querySelector("#journal-empty");
  const live = main.querySelector("#live");
  main.querySelector("#clear-journal").addEventListener("click", async () => {
    if (!(await confirmDialog("Forget every recorded request?", "Clear journal"))) return;
    await api("/_sandbox/requests", { method: "DELETE" });
    list.innerHTML = "";
    empty.hidden = false;
  });
  const first = await api("/_sandbox/requests", { query: { ...filters, limit: 200 } });
  if (!first.ok) return failed(main, first);
  let last = 0;
  for (const entry of first.data.requests) {
    list.append(journalItem(entry, false));
    last = Math.max(last, entry.id);
  }
  empty.hidden = first.data.requests.length > 0;
  const url = new URL("/_sandbox/requests/stream", location.origin);
  for (const [k, v] of Object.entries(filters)) url.searchParams.set(k, v);
  url.searchParams.set("since", String(last));
  const source = new EventSource(url);
  source.addEventListener("open", () => { live.textContent = "live"; live.classList.add("on"); });
  source.addEventListener("error", () => { live.textContent = "reconnecting"; live.classList.remove("on"); });
  source.addEventListener("request", (event) => {
    const entry = JSON.parse(event.data);
    if (list.querySelector(`[data-id="${entry.id}"]`)) return;
    list.prepend(journalItem(entry, true));
    empty.hidden = true;
    while (list.children.length > 500) list.lastElementChild.remove();
  });
  return () => source.close();
}

// --- clock ------------------------------------------------------------------------------------

export async function clock(main) {
  const state = await api("/_sandbox/clock");
  if (!state.ok) return failed(main, state);
  const c = state.data;
  main.innerHTML = `<h1>Clock</h1>
    <p class="sub">Every timestamp, due date and expiry in the sandbox reads this clock.</p>
    <div class="grid two">
      <section class="panel" aria-labelledby="now-title"><h2 id="now-title">Now</h2>
        <p class="stat"><span class="v mono" id="clock-now">${when(c.now)}</span>
        <span class="k" id="clock-state">${c.frozen ? "frozen" : "running"}</span></p>
        <div class="row"><button type="button" id="freeze">${c.frozen ? "Unfreeze clock" : "Freeze clock"}</button></div>
        <form class="row" id="set-form">
          <label>Set to (UTC) <input type="datetime-local" name="set" step="1" required value="${esc(c.now.slice(0, 19))}"></label>
          <button type="submit" class="ghost">Set clock</button></form></section>
      <section class="panel" aria-labelledby="adv-title"><h2 id="adv-title">Advance</h2>
        <form class="row" id="advance-form">
          <label>Advance by <input type="number" name="amount" id="advance-amount" min="0" step="any" value="1" required size="6"></label>
          <label>Unit <select name="unit" id="advance-unit"><option value="60">minutes</option><option value="3600">hours</option>
            <option value="86400" selected>days</option></select></label>
          <button type="submit" id="advance">Advance clock</button></form>
        <div class="row">${[["1 hour", 3600], ["1 day", 86400], ["7 days", 604800], ["30 days", 2592000]].map(([label, s]) =>
          `<button type="button" class="ghost small" data-advance="${s}" aria-label="Advance clock by ${label}">+${label}</button>`).join("")}</div>
      </section>
    </div>
    <section class="panel" aria-labelledby="moved-title"><h2 id="moved-title">What the last move expired</h2>
      <div id="expired"><p class="muted">Move the clock to see which invoices it expired.</p></div></section>`;
  const move = async (body) => {
    const before = (await api("/_sandbox/clock")).data.now;
    const moved = await api("/_sandbox/clock", { method: "POST", body });
    if (!moved.ok) { toast(errorText(moved), "bad"); return; }
    const expired = await api("/_sandbox/invoices", { query: { status: "EXPIRED", changed_since: before, per_page: 200 } });
    await clock(main);
    refreshClock();
    const list = expired.ok ? expired.data.invoices : [];
    main.querySelector("#expired").innerHTML = list.length
      ? `<p><strong>${list.length}</strong> invoice${list.length === 1 ? "" : "s"} expired:</p><ul>${list.map((i) =>
        `<li><a href="#/invoice/${i.provider}/${i.id}">${esc(PROVIDER_NAMES[i.provider])} ${esc(i.number || i.ref)}</a> ${pill(i.status)}</li>`).join("")}</ul>`
      : `<p>The clock is now ${when(moved.data.now)}. No invoice expired.</p>`;
  };
  main.querySelector("#freeze").addEventListener("click", () => move({ freeze: !c.frozen }));
  main.querySelector("#set-form").addEventListener("submit", (event) => {
    event.preventDefault();
    move({ set: `${event.target.set.value}Z` });
  });
  main.querySelector("#advance-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    move({ advance: Number(form.amount.value) * Number(form.unit.value) });
  });
  for (const button of main.querySelectorAll("[data-advance]")) {
    button.addEventListener("click", () => move({ advance: Number(button.dataset.advance) }));
  }
}

// --- faults -----------------------------------------------------------------------------------

export async function faults(main) {
  const listed = await api("/_sandbox/faults");
  if (!listed.ok) return failed(main, listed);
  const rows = listed.data.faults.map((f) => `<tr><td class="n">${f.id}</td><td>${esc(f.provider || "any")}</td>
      <td>${esc(f.method || "any")}</td><td class="mono">${esc(f.path || f.path_regex || "any")}</td>
      <td>${esc(f.action)}${f.status ? ` ${f.status}` : ""}${f.ms ? ` ${f.ms} ms` : ""}</td>
      <td>${f.remaining === null ? "until removed" : `${f.remaining} of ${f.times}`}${f.probability !== null ? ` · p=${f.probability}` : ""}</td>
      <td class="n">${f.hits}</td>
      <td><button type="button" class="ghost small" data-remove="${f.id}" aria-label="Remove fault ${f.id}">Remove</button></td></tr>`).join("");
  main.innerHTML = `<h1>Faults</h1>
    <p class="sub">Break the next calls on purpose: fail them with the provider's own error, delay them, or drop the connection.</p>
    <form class="panel" id="fault-form" aria-labelledby="add-title"><h2 id="add-title">Add a fault</h2>
      <div class="row">
        <label>Provider <select name="provider">${options(PROVIDERS, "", "Any provider")}</select></label>
        <label>Method <select name="method">${options(["GET", "POST", "PUT", "PATCH", "DELETE"], "", "Any method")}</select></label>
        <label>Path starts with <input name="path" size="22" placeholder="/platform/invoice"></label>
        <label>Action <select name="action"><option value="error">fail with an error</option><option value="delay">delay</option>
          <option value="drop">drop the connection</option></select></label>
        <label>Status <input name="status" type="number" min="400" max="599" size="5" placeholder="500"></label>
        <label>Delay (ms) <input name="ms" type="number" min="0" size="6" placeholder="2000"></label>
        <label>Times <input name="times" type="number" min="1" value="1" size="4"></label>
        <label>Probability <input name="probability" type="number" min="0" max="1" step="0.05" size="5" placeholder="1"></label>
        <button type="submit" id="add-fault">Add fault</button>
      </div></form>
    <section class="panel" aria-labelledby="rules-title"><h2 id="rules-title">Active rules</h2>
      ${rows ? `<div class="table-wrap"><table id="fault-rules"><thead><tr><th scope="col" class="n">Id</th><th scope="col">Provider</th><th scope="col">Method</th>
      <th scope="col">Path</th><th scope="col">Action</th><th scope="col">Remaining</th><th scope="col" class="n">Hits</th><th scope="col"><span class="muted">Remove</span></th></tr></thead>
      <tbody>${rows}</tbody></table></div>` : '<p class="muted" id="no-faults">No fault rules.</p>'}</section>`;
  main.querySelector("#fault-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {};
    for (const [k, v] of new FormData(event.target).entries()) {
      if (v === "") continue;
      body[k] = ["status", "ms", "times"].includes(k) ? Number(v) : k === "probability" ? Number(v) : v;
    }
    if (body.action !== "error") delete body.status;
    if (body.action !== "delay") delete body.ms;
    const added = await api("/_sandbox/faults", { method: "POST", body });
    if (!added.ok) { toast(errorText(added), "bad"); return; }
    toast(`Fault ${added.data.id} added`);
    faults(main);
  });
  for (const button of main.querySelectorAll("[data-remove]")) {
    button.addEventListener("click", async () => {
      await api(`/_sandbox/faults/${button.dataset.remove}`, { method: "DELETE" });
      toast(`Fault ${button.dataset.remove} removed`);
      faults(main);
    });
  }
}

// --- reset ------------------------------------------------------------------------------------

export async function reset(main) {
  const listed = await api("/_sandbox/tenants");
  if (!listed.ok) return failed(main, listed);
  const tenants = listed.data.tenants;
  main.innerHTML = `<h1>Reset</h1>
    <p class="sub">Wipe state and reload the fixtures: everything, one provider, or one tenant.</p>
    <form class="panel" id="reset-form">
      <fieldset><legend>What to reset</legend>
        <label class="radio"><input type="radio" name="scope" value="all" checked> Everything (also the journal, faults and clock)</label>
        <label class="radio"><input type="radio" name="scope" value="provider"> One provider</label>
        <label class="radio"><input type="radio" name="scope" value="tenant"> One tenant</label>
      </fieldset>
      <div class="row">
        <label>Provider to reset <select name="provider" id="reset-provider">${options(PROVIDERS, "", "Choose")}</select></label>
        <label>Tenant to reset <select name="tenant" id="reset-tenant"><option value="">Choose</option>${tenants.map((t, n) =>
          `<option value="${n}">${esc(PROVIDER_NAMES[t.provider])} · ${esc(t.key)} (${t.invoice_count} invoices)</option>`).join("")}</select></label>
        <button type="submit" class="danger" id="reset">Reset</button>
      </div>
      <div id="reset-result"></div>
    </form>`;
  const form = main.querySelector("#reset-form");
  form.tenant.addEventListener("change", () => { form.scope.value = "tenant"; });
  form.provider.addEventListener("change", () => { if (form.scope.value === "all") form.scope.value = "provider"; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const scope = form.scope.value;
    let query = {};
    let what = "everything: all tenants, invoices, the journal, fault rules and the clock";
    if (scope === "provider") {
      if (!form.provider.value) { toast("Choose a provider", "bad"); return; }
      query = { provider: form.provider.value };
      what = `every ${PROVIDER_NAMES[form.provider.value]} tenant`;
    } else if (scope === "tenant") {
      const tenant = tenants[Number(form.tenant.value)];
      if (!tenant) { toast("Choose a tenant", "bad"); return; }
      query = { provider: tenant.provider, tenant: tenant.key };
      what = `the ${PROVIDER_NAMES[tenant.provider]} tenant ${tenant.key}`;
    }
    if (!(await confirmDialog(`Reset ${what}? Fixtures are loaded again; anything else is lost.`, "Confirm reset"))) return;
    const done = await api("/_sandbox/reset", { method: "POST", query });
    const box = main.querySelector("#reset-result");
    box.innerHTML = done.ok
      ? `<p class="notice ok" role="status" id="reset-done">Reset done: ${done.data.tenants_removed} tenant(s) removed, fixtures reloaded.</p>`
      : `<p class="notice bad" role="alert">${esc(errorText(done))}</p>`;
    refreshClock();
  });
}
