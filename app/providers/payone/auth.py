"""Merchants from `merchantID` + `authenticationToken` inside the request's JSON.

Open mode: a merchant seen for the first time is registered with the token it sent, inside the
request's own transaction (a request that fails leaves no merchant behind); a later request
with another token is 00022. A merchant created through the control plane before any API call
gets its token the same way. Strict mode: only fixture merchants exist (00007 otherwise), and
a fixture merchant declared without a token answers 00029.
"""

from __future__ import annotations

import hmac
from datetime import datetime

from sqlmodel import Session

from ...core import tenancy, tenant_config
from ...core.sandbox import Sandbox
from ...core.state import note_secret
from ...core.tables import Tenant
from .errors import PayOneError

PROVIDER = "payone"


def merchant(sandbox: Sandbox, session: Session, merchant_id: str, token: str,
             now: datetime) -> Tenant:
    note_secret(token)
    tenant = tenancy.find(session, PROVIDER, merchant_id)
    if tenant is None:
        if sandbox.tenants.strict:
            raise PayOneError("00007")
        return tenancy.create(session, PROVIDER, merchant_id, now, secret=token)
    if tenant.secret is None:
        if tenant.from_fixture or sandbox.tenants.strict:
            raise PayOneError("00029")
        return tenant_config.set_secret(session, tenant, token)
    if not hmac.compare_digest(tenant.secret.encode(), token.encode()):
        raise PayOneError("00022")
    return tenant
