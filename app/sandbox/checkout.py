"""The hosted checkout page behind Maast `invoice_link` and PayOne `paymentLink`, and its
scripted twin `POST /_sandbox/checkout/{token}/pay`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from ..core import checkout, invoices, money
from ..core.errors import CoreError, NotFound, RuleViolation
from ..core.overview import Breakdown
from ..core.sandbox import Sandbox
from ..core.tables import Invoice, Payment, Tenant
from ..providers.edge import BodyTooLarge, ProviderEdge, Views, json_response, read_body
from .bodies import BadBody, json_object
from .errors import control_error

MALFORMED = frozenset({"invalid_amount", "invalid_card", "amount_not_positive"})
NOT_FOUND_PAGE = "<!doctype html><title>Not found</title><h1>Unknown payment link</h1>"
TEMPLATE = Template((Path(__file__).resolve().parent / "ui" / "checkout.html")
                    .read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Outcome:
    """What the last submission did: approved (with its payment) or declined (why)."""

    payment: Payment | None = None
    error: str = ""


def _amount(invoice: Invoice, minor: int) -> str:
    return f"{money.from_minor(minor, invoice.currency)} {money.currency_label(invoice.currency)}"


def _lines(invoice: Invoice, parts: Breakdown) -> str:
    e = html.escape
    if not parts.lines:
        return (f'<tr><td>Invoice {e(_title(invoice))}</td><td class="n"></td><td class="n"></td>'
                f'<td class="n">{e(_amount(invoice, invoice.total_minor))}</td></tr>')
    def unit(minor: int | None) -> str:
        return "" if minor is None else e(_amount(invoice, minor))

    return "".join(
        f'<tr><td>{e(line.description)}</td><td class="n">{e(line.quantity or "")}</td>'
        f'<td class="n">{unit(line.unit_price_minor)}</td>'
        f'<td class="n">{e(_amount(invoice, line.amount_minor))}</td></tr>'
        for line in parts.lines)


def _title(invoice: Invoice) -> str:
    return invoice.number or invoice.ref or str(invoice.id)


def _result(invoice: Invoice, token: str, outcome: Outcome | None) -> str:
    e = html.escape
    back = f'<p><a href="/checkout/{e(token)}" id="back">Back to the invoice</a></p>'
    if outcome is None:
        return ""
    if outcome.payment is None:
        return (f'<section class="result bad" role="alert"><h2>Payment declined</h2>'
                f'<p class="error" id="error">{e(outcome.error)}</p>'
                f'<p class="muted">Nothing was charged. Try another card.</p>{back}</section>')
    attrs = outcome.payment.attrs
    return (f'<section class="result ok" role="status"><h2>Payment approved</h2>'
            f'<p class="notice" id="notice">Payment approved. Thank you!</p>'
            f'<p>{e(_amount(invoice, outcome.payment.amount_minor))} charged to '
            f'<span id="card">{e(str(attrs.get("card_type", "")))} '
            f'{e(str(attrs.get("card_masked", "")))}</span>, approval code '
            f'<strong id="approval">{e(str(attrs.get("approval_code", "")))}</strong>.</p>'
            f'{back}</section>')


def _form(invoice: Invoice, token: str) -> str:
    e = html.escape
    reason = checkout.refusal(invoice)
    if reason is not None:
        return (f'<section class="reason" id="reason" role="status"><strong>This invoice cannot '
                f'be paid.</strong> {e(reason)}</section>')
    balance_minor = invoice.balance_minor
    balance = money.from_minor(balance_minor, invoice.currency)
    label = money.currency_label(invoice.currency)
    if invoice.allow_partial:
        amount_field = (f'<label for="amount">Amount ({e(label)})</label>'
                        f'<input name="amount" id="amount" value="{balance}" inputmode="decimal">'
                        f'<p class="muted">Partial payments are allowed: pay any amount up to '
                        f'the balance.</p>')
    else:
        amount_field = (f'<label for="amount-shown">Amount ({e(label)})</label>'
                        f'<input id="amount-shown" value="{balance}" readonly '
                        f'aria-describedby="full-only">'
                        f'<p class="muted" id="full-only">This invoice must be paid in full.</p>'
                        f'<input type="hidden" name="amount" value="{balance}">')
    cards = "".join(
        f'<li><span><code>{number}</code> {e(description)}</span>'
        f'<button type="button" data-card="{number}" aria-label="Use test card {number} '
        f'({e(outcome.replace("_", " "))})">Use</button></li>'
        for number, outcome, description in checkout.TEST_CARDS)
    return f"""<section class="card" aria-labelledby="pay-title">
  <h2 id="pay-title" style="margin:0;font-size:1.15rem">Pay by card</h2>
  <form method="post" action="/checkout/{e(token)}" id="pay-form">
    <label for="card_number">Card number</label>
    <input name="card_number" id="card_number" value="{checkout.DEFAULT_CARD}"
      autocomplete="cc-number" inputmode="numeric">
    {amount_field}
    <button type="submit" id="pay" class="pay">Pay {e(_amount(invoice, balance_minor))}</button>
  </form>
  <p class="muted" style="margin-top:1rem">Test cards (any other valid number is approved):</p>
  <ul class="cards" aria-label="Test cards">{cards}</ul>
</section>
<script>
for (const b of document.querySelectorAll("[data-card]"))
  b.addEventListener("click", () => {{
    const input = document.getElementById("card_number");
    input.value = b.dataset.card; input.focus();
  }});
</script>"""


def _page(invoice: Invoice, token: str, views: Views | None, session: Session,
          outcome: Outcome | None = None) -> str:
    e = html.escape
    tenant = session.get(Tenant, invoice.tenant_id)
    assert tenant is not None
    parts = views.breakdown(session, invoice) if views else Breakdown()
    if invoice.due_date is not None:
        due_label, due = "Due date", invoice.due_date.isoformat()
    elif invoice.expires_at is not None:
        due_label, due = "Pay by", invoice.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    else:
        due_label, due = "Due date", "on receipt"
    discount = (f'<dt>Discount</dt><dd id="discount">-{e(_amount(invoice, parts.discount_minor))}'
                f'</dd>' if parts.discount_minor else "")
    subtotal = sum(line.amount_minor for line in parts.lines) if parts.lines else (
        invoice.total_minor)
    return TEMPLATE.substitute(
        title=e(f"Invoice {_title(invoice)}"),
        merchant=e(views.merchant(tenant) if views else tenant.key),
        provider=e(invoice.provider), status=e(invoice.status),
        lines=_lines(invoice, parts), subtotal=e(_amount(invoice, subtotal)),
        discount=discount, tax=e(_amount(invoice, parts.tax_minor)),
        total=e(_amount(invoice, invoice.total_minor)),
        paid=e(_amount(invoice, invoice.paid_minor)),
        balance=e(_amount(invoice, invoice.balance_minor)), due_label=due_label, due=e(due),
        result=_result(invoice, token, outcome), payment=_form(invoice, token),
    )


def _parse_amount(raw: Any, invoice: Invoice) -> int | None:
    if raw is None or raw == "":
        return None
    return money.to_minor(money.to_decimal(raw), invoice.currency)


def build_router(sandbox: Sandbox, edges: Sequence[ProviderEdge] = ()) -> APIRouter:
    router = APIRouter()
    views = {edge.name: edge.views for edge in edges}

    def charge(token: str, raw_amount: Any, card: str | None) -> checkout.CardResult:
        now = sandbox.clock.now()
        with sandbox.db.write() as session:
            invoice = invoices.find_by_checkout_token(session, token, now)
            try:
                amount = _parse_amount(raw_amount, invoice)
            except money.MoneyError as exc:
                raise RuleViolation("invalid_amount", f"invalid amount: {exc}") from exc
            result = checkout.pay_by_card(session, token, now, amount_minor=amount,
                                          card_number=card)
            sandbox.hooks.emit("card_payment", result.invoice.provider, session,
                               invoice=result.invoice, payment=result.payment, now=now)
        sandbox.wake_deliveries()
        return result

    @router.get("/checkout/{token}", response_class=HTMLResponse, include_in_schema=False)
    async def checkout_page(token: str) -> Response:
        now = sandbox.clock.now()
        try:
            with sandbox.db.write() as session:
                invoice = checkout.open_page(session, token, now)
                page = _page(invoice, token, views.get(invoice.provider), session)
        except NotFound:
            return HTMLResponse(NOT_FOUND_PAGE, status_code=404)
        return HTMLResponse(page)

    @router.post("/checkout/{token}", response_class=HTMLResponse, include_in_schema=False)
    async def checkout_submit(token: str, request: Request) -> Response:
        try:
            form = parse_qs((await read_body(request, 65536)).decode("utf-8", "replace"))
        except BodyTooLarge:
            return HTMLResponse("<h1>Request too large</h1>", status_code=413)
        card = form["card_number"][0] if form.get("card_number") else None
        amount = form["amount"][0] if form.get("amount") else None
        try:
            result = charge(token, amount, card)
            outcome, status = Outcome(payment=result.payment), 200
        except NotFound:
            return HTMLResponse(NOT_FOUND_PAGE, status_code=404)
        except CoreError as exc:
            outcome, status = Outcome(error=exc.message), 402
        with sandbox.db.read() as session:
            invoice = invoices.find_by_checkout_token(session, token, sandbox.clock.now())
            page = _page(invoice, token, views.get(invoice.provider), session, outcome)
        return HTMLResponse(page, status_code=status)

    @router.post("/_sandbox/checkout/{token}/pay", tags=["checkout"])
    async def checkout_pay(token: str, request: Request) -> Response:
        """Pay as the customer would at the hosted checkout: JSON `{"amount", "card_number"}`."""
        try:
            body = await json_object(request)
        except BadBody as exc:
            return exc.response()
        card = body.get("card_number")
        if card is not None and not isinstance(card, str):
            return control_error(400, "invalid_card", "card_number must be a string")
        amount = body.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, (int, float, str, type(None))):
            return control_error(400, "invalid_amount", "amount must be a number")
        try:
            exact = Decimal(repr(amount)) if isinstance(amount, float) else amount
            result = charge(token, exact, card)
        except NotFound:
            return control_error(404, "not_found", f"no invoice has the payment link {token}")
        except checkout.CardDeclined as exc:
            return control_error(402, exc.code, exc.message)
        except CoreError as exc:
            # Malformed input is the caller's mistake (400); anything else is the invoice's
            # state refusing the payment (409).
            status = 400 if exc.code in MALFORMED else 409
            return control_error(status, exc.code, exc.message)
        invoice, payment = result.invoice, result.payment
        return json_response({
            "status": "approved",
            "provider": invoice.provider,
            "invoice_status": invoice.status,
            "amount": str(money.from_minor(payment.amount_minor, invoice.currency)),
            "balance": str(money.from_minor(invoice.balance_minor, invoice.currency)),
            "payment_id": payment.id,
            **{k: payment.attrs[k] for k in ("pg_id", "tran_status", "card_masked", "card_type",
                                               "rrn", "approval_code")},
        })

    return router
