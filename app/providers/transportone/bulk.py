"""The bulk payment upload as a durable job: queued with the 202 that accepts it, applied in
chunks that each commit their payments with the job's progress, and reported to the callback
once, in the transaction of the last chunk (see `core.jobs`)."""

from __future__ import annotations

import functools
from typing import Any

from sqlmodel import Session

from ...core import jobs
from ...core.background_tables import Job
from ...core.errors import CoreError
from ...core.sandbox import Sandbox
from ...core.tables import Tenant
from . import operations, render, settings, wire
from .errors import TransportOneError, from_core

KIND = "transportone.bulk_payments"
CHUNK = 50  # payments per committed step


def enqueue(session: Session, tenant: Tenant, upload_id: str, raw: bytes,
            by: str | None) -> None:
    """Promise the upload (call in the transaction that answers 202): the request body is kept
    as it came and parsed again by each step."""
    jobs.enqueue(session, kind=KIND, tenant_id=operations.tenant_id(tenant), payload=raw,
                 progress={"upload_id": upload_id, "by": by, "results": []})


def _apply(session: Session, sandbox: Sandbox, tenant: Tenant, index: int,
           payment: wire.PaymentIn, by: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"index": index, "invoiceId": payment.invoice_id,
                             "invoiceNumber": payment.invoice_number}
    try:
        with session.begin_nested():  # a refused payment leaves the chunk's others in place
            row_payment, row = operations.apply_payment(session, tenant, payment,
                                                        sandbox.clock.now(), by)
            entry.update(invoiceId=row.ref, invoiceNumber=row.number, status="SUCCESS",
                         payment=render.payment(row_payment, row))
    except (TransportOneError, CoreError) as exc:
        error = exc if isinstance(exc, TransportOneError) else from_core(exc)
        entry.update(status="FAILED", errorCode=error.code, message=error.message)
    return entry


@functools.lru_cache(maxsize=4)
def _parsed(payload: bytes) -> wire.BulkPayments:
    """The upload, parsed once per process rather than once per chunk."""
    return wire.bulk_payments(wire.parse_json(payload))


def handler(sandbox: Sandbox) -> jobs.JobHandler:
    def step(session: Session, job: Job) -> bool:
        tenant = session.get(Tenant, job.tenant_id) if job.tenant_id is not None else None
        if tenant is None:  # a reset removes the job with its tenant; nothing left to do
            return True
        spec = _parsed(job.payload)
        by = job.progress.get("by")
        results: list[dict[str, Any]] = list(job.progress.get("results", []))
        for index in range(len(results), min(len(results) + CHUNK, len(spec.payments))):
            results.append(_apply(session, sandbox, tenant, index, spec.payments[index], by))
        job.progress = {**job.progress, "results": results}
        if len(results) < len(spec.payments):
            return False
        if spec.callback_url is not None:
            settings.enqueue_result(session, tenant, spec.callback_url,
                                    job.progress["upload_id"], outcome(job.progress))
        return True

    return step


def outcome(progress: dict[str, Any]) -> dict[str, Any]:
    results = progress["results"]
    succeeded = sum(1 for r in results if r["status"] == "SUCCESS")
    status = "COMPLETED" if succeeded == len(results) else \
        "FAILED" if succeeded == 0 else "PARTIALLY_COMPLETED"
    return {"requestId": progress["upload_id"], "uploadStatus": status,
            "totalRecords": len(results), "successCount": succeeded,
            "failureCount": len(results) - succeeded, "results": results}
