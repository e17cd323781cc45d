"""Request-id idempotency: the answer to a (tenant, request id, route) is kept and replayed for
repeats of the same request.

The same id on another route is another request (clients reuse one id for every call). The same
id and route with a different request is a conflict when `strict`; otherwise it is done as a new
request and its answer replaces the one kept. The check and the record are made inside the
transaction that does the work, so two concurrent repeats cannot both do it.
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


def scoped(key: str, method: str, route: str) -> str:
    """The stored key of a request id sent to one route."""
    return f"{method.upper()} {route} {key}"


def _find(session: Session, tenant_id: int, key: str) -> IdempotencyRecord | None:
    return session.exec(select(IdempotencyRecord).where(
        col(IdempotencyRecord.tenant_id) == tenant_id, col(IdempotencyRecord.key) == key)
    ).first()


def check(session: Session, tenant_id: int, key: str, print_: str, *,
          strict: bool = True) -> IdempotencyRecord | None:
    """The stored answer to replay, or None: a new key, or (unless `strict`, which raises
    KeyReused) a different request under a used key."""
    record = _find(session, tenant_id, key)
    if record is None or record.fingerprint == print_:
        return record
    if strict:
        raise KeyReused(key.rsplit(" ", 1)[-1])
    return None


def remember(session: Session, tenant_id: int, key: str, print_: str, *, status_code: int,
             content_type: str, body: bytes, now: datetime) -> IdempotencyRecord:
    """Keep the answer to replay; it replaces the answer of an earlier request under the key."""
    record = _find(session, tenant_id, key) or IdempotencyRecord(
        tenant_id=tenant_id, key=key, fingerprint=print_, status_code=status_code,
        content_type=content_type, body=body, created_at=now)
    record.fingerprint, record.status_code = print_, status_code
    record.content_type, record.body, record.created_at = content_type, body, now
    session.add(record)
    session.flush()
    return record
