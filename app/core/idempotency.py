"""Request-id idempotency: the first answer to a (tenant, request id) is kept and replayed for
repeats of the same request; the same id with a different request is a conflict.

The check and the record are made inside the transaction that does the work, so two concurrent
repeats cannot both do it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlmodel import Session, col, select

from .errors import Conflict
from .tables import IdempotencyRecord


class KeyReused(Conflict):
    code = "idempotency_key_reused"

    def __init__(self, key: str) -> None:
        super().__init__(f"request id {key} was already used for a different request")
        self.key = key


def _canonical(body: bytes) -> bytes:
    """JSON bodies compare by content, not by spacing or key order."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return body
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def fingerprint(method: str, target: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), target.encode(), _canonical(body)):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def check(session: Session, tenant_id: int, key: str, print_: str) -> IdempotencyRecord | None:
    """The stored answer to replay, None for a new key; KeyReused for a different request."""
    record = session.exec(select(IdempotencyRecord).where(
        col(IdempotencyRecord.tenant_id) == tenant_id, col(IdempotencyRecord.key) == key)
    ).first()
    if record is not None and record.fingerprint != print_:
        raise KeyReused(key)
    return record


def remember(session: Session, tenant_id: int, key: str, print_: str, *, status_code: int,
             content_type: str, body: bytes, now: datetime) -> IdempotencyRecord:
    record = IdempotencyRecord(tenant_id=tenant_id, key=key, fingerprint=print_,
                               status_code=status_code, content_type=content_type, body=body,
                               created_at=now)
    session.add(record)
    session.flush()
    return record
