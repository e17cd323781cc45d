"""OAuth client-credentials for a tenant: registered API clients and the access tokens issued to
them, which expire by the sandbox clock.

Clients are kept per tenant as `{client_id: client_secret}`; the token string itself is chosen by
the provider edge (its format is part of the wire), the core only stores and checks it.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from . import tenant_config
from .tables import AccessToken, Tenant

CLIENTS = "api_clients"


def clients(session: Session, tenant_id: int) -> dict[str, str]:
    value = tenant_config.get(session, tenant_id, CLIENTS, {})
    return dict(value) if isinstance(value, dict) else {}


def register_client(session: Session, tenant_id: int, client_id: str, secret: str) -> None:
    known = clients(session, tenant_id)
    known[client_id] = secret
    tenant_config.put(session, tenant_id, CLIENTS, known)


def check_client(session: Session, tenant_id: int, client_id: str, secret: str, *,
                 register_unknown: bool) -> bool:
    """True when the secret matches the client's; an unknown client is registered on first use
    when `register_unknown` (open mode), refused otherwise."""
    known = clients(session, tenant_id)
    if client_id in known:
        return hmac.compare_digest(known[client_id].encode(), secret.encode())
    if not register_unknown:
        return False
    register_client(session, tenant_id, client_id, secret)
    return True


def tenant_of_client(session: Session, provider: str, client_id: str) -> Tenant | None:
    """The provider's tenant that registered this client, if exactly one did."""
    owners = [t for t in tenant_config.tenants_of(session, provider)
              if client_id in (t.attrs.get(CLIENTS) or {})]
    return owners[0] if len(owners) == 1 else None


def issue(session: Session, tenant_id: int, token: str, now: datetime,
          ttl_seconds: int) -> AccessToken:
    # Expired tokens of this tenant are of no use to anyone: drop them as new ones are made.
    session.exec(delete(AccessToken).where(
        col(AccessToken.tenant_id) == tenant_id, col(AccessToken.expires_at) <= now))
    row = AccessToken(token=token, tenant_id=tenant_id, created_at=now,
                      expires_at=now + timedelta(seconds=ttl_seconds))
    session.add(row)
    session.flush()
    return row


def verify(session: Session, token: str, now: datetime) -> Tenant | None:
    """The tenant the token was issued for, or None when it is unknown or expired."""
    row = session.exec(select(AccessToken).where(col(AccessToken.token) == token)).first()
    if row is None or row.expires_at <= now:
        return None
    return session.get(Tenant, row.tenant_id)
