"""`SandboxClient`: the sandbox's control plane (`/_sandbox/...`) as typed Python calls.

    sandbox = SandboxClient("http://127.0.0.1:8080")
    sandbox.reset()
    sandbox.clock.freeze()
    sandbox.clock.advance(timedelta(days=10))
    [entry] = sandbox.requests(provider="maast", method="POST")

Every refused call raises `SandboxError` with the status and the body of the answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Any

import httpx

from .tenants import Credentials, new_tenant


class SandboxError(Exception):
    """The sandbox answered with an error: `status`, the parsed `body`, and its `code` and
    `message` when the body is the control plane's `{"error": {"code", "message"}}`."""

    def __init__(self, status: int, body: Any, method: str = "", path: str = "") -> None:
        error = body.get("error") if isinstance(body, dict) else None
        self.status = status
        self.body = body
        self.code: str | None = error.get("code") if isinstance(error, dict) else None
        self.message: str = (str(error.get("message")) if isinstance(error, dict)
                             else str(body)[:500])
        super().__init__(f"{method} {path} -> {status}: {self.message}".strip())


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- answers ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClockState:
    now: datetime
    frozen: bool

    @classmethod
    def of(cls, body: dict[str, Any]) -> ClockState:
        now = _instant(body["now"])
        assert now is not None
        return cls(now=now, frozen=bool(body["frozen"]))


@dataclass(frozen=True)
class Message:
    """One side of a recorded exchange; credentials are already redacted by the sandbox."""

    headers: dict[str, str]
    body: str
    body_bytes: int
    truncated: bool

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class JournalEntry:
    id: int
    time: datetime
    provider: str | None
    method: str
    path: str
    query: str
    status: int | None
    duration_ms: float
    fault: dict[str, Any] | None
    request: Message
    response: Message

    @classmethod
    def of(cls, body: dict[str, Any]) -> JournalEntry:
        time = _instant(body["time"])
        assert time is not None
        return cls(id=body["id"], time=time, provider=body["provider"], method=body["method"],
                   path=body["path"], query=body["query"], status=body["status"],
                   duration_ms=body["duration_ms"], fault=body["fault"],
                   request=Message(**body["request"]), response=Message(**body["response"]))


@dataclass(frozen=True)
class Fault:
    id: int
    action: str
    provider: str | None
    method: str | None
    path: str | None
    path_regex: str | None
    tenant: str | None
    ms: int | None
    status: int | None
    times: int | None
    probability: float | None
    remaining: int | None
    hits: int
    created_at: datetime

    @classmethod
    def of(cls, body: dict[str, Any]) -> Fault:
        created = _instant(body["created_at"])
        assert created is not None
        return cls(id=body["id"], action=body["action"], provider=body["provider"],
                   method=body["method"], path=body["path"], path_regex=body["path_regex"],
                   tenant=body["tenant"], ms=body["ms"], status=body["status"],
                   times=body["times"], probability=body["probability"],
                   remaining=body["remaining"], hits=body["hits"], created_at=created)


@dataclass(frozen=True)
class Delivery:
    """An outgoing notification (webhook) with every delivery attempt."""

    id: int
    provider: str
    event: str
    url: str
    state: str
    headers: dict[str, str]
    body: str
    attempts: list[dict[str, Any]]
    next_attempt_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, body: dict[str, Any]) -> Delivery:
        created = _instant(body["created_at"])
        assert created is not None
        return cls(id=body["id"], provider=body["provider"], event=body["event"],
                   url=body["url"], state=body["state"], headers=body["headers"],
                   body=body["body"], attempts=body["attempts"],
                   next_attempt_at=_instant(body["next_attempt_at"]), created_at=created)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class CardPayment:
    """The hosted checkout's answer to a card payment."""

    status: str
    provider: str
    invoice_status: str
    amount: str
    balance: str
    payment_id: int
    details: dict[str, Any] = field(default_factory=dict)  # rrn, approval_code, card_masked ...

    @classmethod
    def of(cls, body: dict[str, Any]) -> CardPayment:
        own = ("status", "provider", "invoice_status", "amount", "balance", "payment_id")
        return cls(**{k: body[k] for k in own},
                   details={k: v for k, v in body.items() if k not in own})


# --- the client -------------------------------------------------------------------------------

class SandboxClient:
    """The control plane of the sandbox at `url`; `token` is sent as a Bearer token."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)
        self.clock = Clock(self)
        self.payone = PayOneControl(self)
        self.transportone = TransportOneControl(self)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SandboxClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
             body: Any = None, headers: dict[str, str] | None = None) -> Any:
        """One call: the parsed JSON answer, or SandboxError."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        content = None if body is None else json.dumps(body).encode()
        sent = dict(headers or {})
        if content is not None:
            sent["content-type"] = "application/json"
        response = self._http.request(method, path, params=query, content=content, headers=sent)
        try:
            parsed = response.json()
        except ValueError:
            parsed = response.text
        if response.is_error:
            raise SandboxError(response.status_code, parsed, method, path)
        return parsed

    # --- state ---------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        answer: dict[str, Any] = self.call("GET", "/_sandbox/health")
        return answer

    def reset(self, provider: str | None = None, tenant: str | None = None) -> int:
        """Wipe state (all, one provider's, or one tenant's) and reload the fixtures; returns
        how many tenants were removed."""
        answer = self.call("POST", "/_sandbox/reset",
                           params={"provider": provider, "tenant": tenant})
        return int(answer["tenants_removed"])

    def snapshot(self, provider: str | None = None, tenant: str | None = None) -> dict[str, Any]:
        """The state (all, one provider's, or one tenant's) as one JSON document."""
        answer: dict[str, Any] = self.call("GET", "/_sandbox/snapshot",
                                           params={"provider": provider, "tenant": tenant})
        return answer

    def restore(self, snapshot: dict[str, Any]) -> dict[str, int]:
        """Put back the state of a `snapshot()`, ids included; returns rows per table."""
        answer = self.call("POST", "/_sandbox/snapshot", body=snapshot)
        return dict(answer["rows"])

    def tenant(self, provider: str) -> Credentials:
        """Fresh credentials of a tenant no one else uses (open mode), for tests that share
        one sandbox without resetting it."""
        return new_tenant(self, provider)

    # --- journal ------------------------------------------------------------------------------

    def requests(self, provider: str | None = None, method: str | None = None,
                 path: str | None = None, status: int | str | None = None,
                 since: int | JournalEntry | None = None,
                 limit: int | None = None) -> list[JournalEntry]:
        """Recorded provider requests, newest first. `status` is a code or a class ("4xx");
        `since` an entry (or its id): only later ones."""
        after = since.id if isinstance(since, JournalEntry) else since
        answer = self.call("GET", "/_sandbox/requests", params={
            "provider": provider, "method": method, "path": path,
            "status": None if status is None else str(status), "since": after, "limit": limit})
        return [JournalEntry.of(entry) for entry in answer["requests"]]

    def clear_requests(self) -> int:
        return int(self.call("DELETE", "/_sandbox/requests")["deleted"])

    def last_request_id(self) -> int:
        """The id of the newest recorded request (0 when none): `requests(since=...)` later
        lists what came after it."""
        newest = self.requests(limit=1)
        return newest[0].id if newest else 0

    # --- faults -------------------------------------------------------------------------------

    def add_fault(self, action: str, *, provider: str | None = None, method: str | None = None,
                  path: str | None = None, path_regex: str | None = None,
                  tenant: str | None = None, ms: int | None = None, status: int | None = None,
                  times: int | None = None, probability: float | None = None) -> int:
        """A fault rule (`delay` by `ms`, `error` with the provider's own error, or `drop`)
        for matching provider requests; returns its id."""
        rule = {"action": action, "provider": provider, "method": method, "path": path,
                "path_regex": path_regex, "tenant": tenant, "ms": ms, "status": status,
                "times": times, "probability": probability}
        answer = self.call("POST", "/_sandbox/faults",
                           body={k: v for k, v in rule.items() if v is not None})
        return int(answer["id"])

    def faults(self) -> list[Fault]:
        return [Fault.of(rule) for rule in self.call("GET", "/_sandbox/faults")["faults"]]

    def fault(self, fault_id: int) -> Fault:
        return Fault.of(self.call("GET", f"/_sandbox/faults/{fault_id}"))

    def remove_fault(self, fault_id: int) -> Fault:
        return Fault.of(self.call("DELETE", f"/_sandbox/faults/{fault_id}"))

    def clear_faults(self) -> int:
        return int(self.call("DELETE", "/_sandbox/faults")["deleted"])

    # --- deliveries and checkout --------------------------------------------------------------

    def deliveries(self, provider: str | None = None) -> list[Delivery]:
        answer = self.call("GET", "/_sandbox/deliveries", params={"provider": provider})
        return [Delivery.of(d) for d in answer["deliveries"]]

    def pay(self, link_or_token: str, amount: str | int | float | Decimal | None = None,
            card_number: str | None = None) -> CardPayment:
        """Pay an invoice by card as its customer would at the hosted checkout: the whole
        balance, or `amount` (a decimal in the invoice's currency)."""
        token = link_or_token.rstrip("/").rsplit("/", 1)[-1]
        body: dict[str, Any] = {}
        if amount is not None:
            body["amount"] = amount if isinstance(amount, int) else str(amount)
        if card_number is not None:
            body["card_number"] = card_number
        return CardPayment.of(self.call("POST", f"/_sandbox/checkout/{token}/pay", body=body))


class Clock:
    """The sandbox clock: every timestamp, due date and expiry reads it."""

    def __init__(self, client: SandboxClient) -> None:
        self._client = client

    def state(self) -> ClockState:
        return ClockState.of(self._client.call("GET", "/_sandbox/clock"))

    def now(self) -> datetime:
        return self.state().now

    def _change(self, **change: Any) -> ClockState:
        return ClockState.of(self._client.call("POST", "/_sandbox/clock", body=change))

    def freeze(self) -> ClockState:
        return self._change(freeze=True)

    def unfreeze(self) -> ClockState:
        return self._change(freeze=False)

    def set(self, instant: datetime, *, freeze: bool | None = None) -> ClockState:
        if instant.tzinfo is None:
            raise ValueError("the instant must carry a time zone (e.g. datetime.UTC)")
        change: dict[str, Any] = {"set": instant.astimezone(UTC).isoformat()}
        if freeze is not None:
            change["freeze"] = freeze
        return self._change(**change)

    def advance(self, by: float | timedelta) -> ClockState:
        """Move forward by seconds or a timedelta (invoices past due or expiry change state)."""
        seconds = by.total_seconds() if isinstance(by, timedelta) else by
        return self._change(advance=seconds)


class PayOneControl:
    """PayOne merchant settings kept in its portal, and the refund approval given there."""

    def __init__(self, client: SandboxClient) -> None:
        self._client = client

    def merchant(self, merchant_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = self._client.call("GET",
                                                   f"/_sandbox/payone/merchants/{merchant_id}")
        return answer

    def configure(self, merchant_id: str, *, notification_url: str | None = None,
                  refund_approval: bool | None = None,
                  required_dynamic_fields: list[str] | None = None,
                  clear_notification_url: bool = False) -> dict[str, Any]:
        """Change the settings given (open mode creates an unknown merchant)."""
        body: dict[str, Any] = {}
        if notification_url is not None or clear_notification_url:
            body["notification_url"] = notification_url
        if refund_approval is not None:
            body["refund_approval"] = refund_approval
        if required_dynamic_fields is not None:
            body["required_dynamic_fields"] = required_dynamic_fields
        answer: dict[str, Any] = self._client.call(
            "POST", f"/_sandbox/payone/merchants/{merchant_id}", body=body)
        return answer

    def approve_refund(self, merchant_id: str, invoice_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = self._client.call(
            "POST", f"/_sandbox/payone/merchants/{merchant_id}/invoices/{invoice_id}"
                    "/approve-refund")
        return answer


class TransportOneControl:
    """TransportOne freight invoices made and moved as a transporter and the TMS would, the ERP
    callback and the auto-approval configuration."""

    def __init__(self, client: SandboxClient) -> None:
        self._client = client

    def _call(self, method: str, tenant: str, path: str, body: Any = None) -> dict[str, Any]:
        answer: dict[str, Any] = self._client.call(
            method, f"/_sandbox/transportone/{tenant}{path}", body=body)
        return answer

    def create_invoice(self, tenant: str, invoice: dict[str, Any]) -> dict[str, Any]:
        """An invoice with its `charges`, in `state` (default DRAFT), as the TMS shows it."""
        return self._call("POST", tenant, "/invoices", invoice)

    def submit(self, tenant: str, unique_code: str) -> dict[str, Any]:
        return self._call("POST", tenant, f"/invoices/{unique_code}/submit")

    def approve(self, tenant: str, unique_code: str) -> dict[str, Any]:
        return self._call("POST", tenant, f"/invoices/{unique_code}/approve")

    def reject(self, tenant: str, unique_code: str, reasons: list[str] | None = None,
               remark: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if reasons is not None:
            body["shipperRejectionReasons"] = reasons
        if remark is not None:
            body["shipperRejectionRemark"] = remark
        return self._call("POST", tenant, f"/invoices/{unique_code}/reject", body)

    def erp_callback(self, tenant: str) -> dict[str, Any]:
        return self._call("GET", tenant, "/erp-callback")

    def set_erp_callback(self, tenant: str, url: str,
                         secret: str | None = None) -> dict[str, Any]:
        body = {"url": url, **({"secret": secret} if secret is not None else {})}
        return self._call("PUT", tenant, "/erp-callback", body)

    def remove_erp_callback(self, tenant: str) -> dict[str, Any]:
        return self._call("DELETE", tenant, "/erp-callback")

    def auto_approval(self, tenant: str) -> dict[str, Any]:
        return self._call("GET", tenant, "/autoapproval-configuration")

    def set_auto_approval(self, tenant: str, enabled: bool, max_difference_amount: float = 0,
                          max_invoice_amount: float | None = None) -> dict[str, Any]:
        body = {"enabled": enabled, "maxDifferenceAmount": max_difference_amount,
                "maxInvoiceAmount": max_invoice_amount}
        return self._call("PUT", tenant, "/autoapproval-configuration", body)
