"""Per-tenant TransportOne settings: the auto-approval configuration (versioned, newest last) and
the ERP callback that receives approved invoices through the outbox."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from ...core import items, tenant_config, webhooks
from ...core.approvals import Policy
from ...core.tables import Invoice, Tenant
from . import render

PROVIDER = "transportone"
AUTO_APPROVAL = "transportone_auto_approval"
ERP_CALLBACK = "transportone_erp_callback"
APPROVED_EVENT = "INVOICE_APPROVED"


def _id(tenant: Tenant) -> int:
    assert tenant.id is not None
    return tenant.id


# --- auto approval -------------------------------------------------------------------------------

def auto_approval_versions(session: Session, tenant: Tenant) -> list[dict[str, Any]]:
    versions = tenant_config.get(session, _id(tenant), AUTO_APPROVAL, [])
    return versions if isinstance(versions, list) else []


def set_auto_approval(session: Session, tenant: Tenant, now: datetime, *, enabled: bool,
                      max_difference_minor: int, max_total_minor: int | None) -> dict[str, Any]:
    versions = auto_approval_versions(session, tenant)
    entry = {"version": len(versions) + 1, "enabled": enabled,
             "max_difference_minor": max_difference_minor, "max_total_minor": max_total_minor,
             "created_at": render.ms(now)}
    tenant_config.put(session, _id(tenant), AUTO_APPROVAL, [*versions, entry])
    return entry


def auto_approval_policy(session: Session, tenant: Tenant) -> Policy:
    versions = auto_approval_versions(session, tenant)
    if not versions:
        return Policy()
    latest = versions[-1]
    return Policy(enabled=bool(latest["enabled"]),
                  max_difference_minor=int(latest["max_difference_minor"]),
                  max_total_minor=latest.get("max_total_minor"))


def render_auto_approval(entry: dict[str, Any] | None, latest: bool) -> dict[str, Any]:
    if entry is None:  # nothing configured: approvals are manual
        return {"version": 0, "enabled": False, "maxDifferenceAmount": 0,
                "maxInvoiceAmount": None, "isLatest": True, "createdAt": None,
                "updatedAt": None}
    limit = entry.get("max_total_minor")
    return {
        "version": entry["version"],
        "enabled": entry["enabled"],
        "maxDifferenceAmount": render.amount(int(entry["max_difference_minor"])),
        "maxInvoiceAmount": None if limit is None else render.amount(int(limit)),
        "isLatest": latest,
        "createdAt": entry["created_at"],
        "updatedAt": entry["created_at"],
    }


# --- ERP callback --------------------------------------------------------------------------------

def erp_callback(session: Session, tenant: Tenant) -> dict[str, Any] | None:
    value = tenant_config.get(session, _id(tenant), ERP_CALLBACK)
    return value if isinstance(value, dict) and value.get("url") else None


def set_erp_callback(session: Session, tenant: Tenant, url: str, secret: str | None) -> None:
    tenant_config.put(session, _id(tenant), ERP_CALLBACK, {"url": url, "secret": secret})


def remove_erp_callback(session: Session, tenant: Tenant) -> None:
    tenant_config.remove(session, _id(tenant), ERP_CALLBACK)


def headers(tenant: Tenant, request_id: str | None = None) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "x-coreos-tid": tenant.key,
        "x-coreos-request-id": request_id or str(uuid.uuid4()),
        "x-coreos-userinfo": json.dumps({"id": "tms-billing", "name": "TMS Billing"}),
    }


def notify_approved(session: Session, tenant: Tenant, row: Invoice, now: datetime) -> None:
    """Queue the approved invoice for the ERP, in the transaction that approved it."""
    target = erp_callback(session, tenant)
    if target is None:
        return
    body = {"eventType": APPROVED_EVENT, "eventTime": render.ms(now),
            "data": render.invoice(row, items.items_of(session, row))}
    extra = {"x-tms-callback-secret": target["secret"]} if target.get("secret") else {}
    webhooks.enqueue(session, provider=PROVIDER, tenant_id=tenant.id, event=APPROVED_EVENT,
                     url=target["url"], body=json.dumps(body, separators=(",", ":")).encode(),
                     headers={**headers(tenant), **extra})


def enqueue_result(session: Session, tenant: Tenant, url: str, request_id: str,
                   result: dict[str, Any]) -> None:
    webhooks.enqueue(session, provider=PROVIDER, tenant_id=tenant.id,
                     event="BULK_PAYMENT_UPLOAD_RESULT", url=url,
                     body=json.dumps(result, separators=(",", ":")).encode(),
                     headers=headers(tenant, request_id))
