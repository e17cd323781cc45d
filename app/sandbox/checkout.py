"""The hosted checkout page behind Maast `invoice_link` and PayOne `paymentLink`, and its
scripted twin `POST /_sandbox/checkout/{token}/pay`.
"""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..core import checkout, invoices, money
from ..core.errors import CoreError, NotFound, RuleViolation
from ..core.sandbox import Sandbox
from ..core.tables import Invoice
from ..providers.edge import BodyTooLarge, json_response, read_body
from .bodies import BadBody, json_object
from .errors import control_error

MALFORMED = frozenset({"invalid_amount", "invalid_card", "amount_not_positive"})
NOT_FOUND_PAGE = "<!doctype html><title>Not found</title><h1>Unknown payment link</h1>"


def _amount(invoice: Invoice, minor: int) -> str:
    return f"{money.from_minor(minor, invoice.currency)} {money.currency_label(invoice.currency)}"


def _page(invoice: Invoice, token: str, notice: str = "", error: str = "") -> str:
    e = html.escape
    payable = invoices.lifecycle_of(invoice).allows("record_payment", invoice.status)
    balance = money.from_minor(invoice.balance_minor, invoice.currency)
    form = ""
    if payable and invoice.balance_minor > 0:
        amount_field = (
            f'<label>Amount <input name="amount" id="amount" value="{balance}"></label>'
            if invoice.allow_partial else f'<input type="hidden" name="amount" value="{balance}">'
        )
        form = f"""
  <form method="post" action="/checkout/{e(token)}" id="pay-form">
    <label>Card number <input name="card_number" id="card_number" value="{checkout.DEFAULT_CARD}"
      autocomplete="cc-number"></label>
    {amount_field}
    <button type="submit" id="pay">Pay {e(_amount(invoice, invoice.balance_minor))}</button>
  </form>"""
    banner = ""
    if notice:
        banner = f'<p class="notice" id="notice">{e(notice)}</p>'
    if error:
        banner = f'<p class="error" id="error">{e(error)}</p>'
    title = invoice.number or invoice.ref or str(invoice.id)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Invoice {e(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
dl{{display:grid;grid-template-columns:max-content auto;gap:.3rem 1rem}}dt{{font-weight:600}}
label{{display:block;margin:.6rem 0}}input{{font:inherit;padding:.3rem;width:100%}}
button{{font:inherit;padding:.5rem 1rem}}.error{{color:#b00020}}.notice{{color:#0a7d32}}</style>
</head><body>
<h1>Invoice {e(title)}</h1>
<p>Hosted checkout of the invoice-sandbox ({e(invoice.provider)}). No real card is charged.</p>
{banner}
<dl>
  <dt>Status</dt><dd id="status">{e(invoice.status)}</dd>
  <dt>Total</dt><dd id="total">{e(_amount(invoice, invoice.total_minor))}</dd>
  <dt>Paid</dt><dd id="paid">{e(_amount(invoice, invoice.paid_minor))}</dd>
  <dt>Balance</dt><dd id="balance">{e(_amount(invoice, invoice.balance_minor))}</dd>
</dl>{form}
</body></html>
"""


def _parse_amount(raw: Any, invoice: Invoice) -> int | None:
    if raw is None or raw == "":
        return None
    return money.to_minor(money.to_decimal(raw), invoice.currency)


def build_router(sandbox: Sandbox) -> APIRouter:
    router = APIRouter()

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
        except NotFound:
            return HTMLResponse(NOT_FOUND_PAGE, status_code=404)
        return HTMLResponse(_page(invoice, token))

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
            notice, error, status = "Payment approved. Thank you!", "", 200
            invoice = result.invoice
        except NotFound:
            return HTMLResponse(NOT_FOUND_PAGE, status_code=404)
        except CoreError as exc:
            notice, error, status = "", exc.message, 402
            with sandbox.db.read() as session:
                invoice = invoices.find_by_checkout_token(session, token, sandbox.clock.now())
        return HTMLResponse(_page(invoice, token, notice, error), status_code=status)

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
