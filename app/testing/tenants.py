"""Fresh credentials per test: a tenant of one provider that no other test uses, so tests can run
in parallel against one sandbox without resetting it (open mode creates the tenant on first use).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import SandboxClient

TRANSPORTONE_TOKEN_PATH = "/core/api/v1/aaa/auth/client-credentials"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass(frozen=True)
class Credentials:
    """`tenant` is the key the control plane knows the tenant by (`reset(tenant=)`, fault
    rules' `tenant`)."""

    provider: str
    tenant: str

    def headers(self) -> dict[str, str]:
        """Request headers that authenticate as this tenant, where the provider uses headers."""
        return {}


@dataclass(frozen=True)
class MaastCredentials(Credentials):
    api_key: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": _basic("", self.api_key)}


@dataclass(frozen=True)
class PayOneCredentials(Credentials):
    merchant_id: str
    token: str

    def fields(self) -> dict[str, str]:
        """The JSON fields every InvoicesService request carries."""
        return {"merchantID": self.merchant_id, "authenticationToken": self.token}


@dataclass(frozen=True)
class HarvestCredentials(Credentials):
    """HTTP Basic `email:password`; without an `ACCOUNT.localhost` Host the account is the
    user's own, keyed by the email."""

    email: str
    password: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": _basic(self.email, self.password)}


@dataclass(frozen=True)
class TransportOneCredentials(Credentials):
    """OAuth client credentials, registered with the tenant: the token request works with or
    without the `x-coreos-tid` header."""

    client_id: str
    client_secret: str

    def headers(self) -> dict[str, str]:
        return {"x-coreos-tid": self.tenant}


def new_tenant(client: SandboxClient, provider: str) -> Credentials:
    name = f"t{secrets.token_hex(6)}"
    secret = secrets.token_urlsafe(18)
    if provider == "maast":
        return MaastCredentials(provider, name, api_key=f"key-{name}")
    if provider == "payone":
        return PayOneCredentials(provider, name, merchant_id=name, token=secret)
    if provider == "harvest":
        email = f"{name}@sandbox.test"
        return HarvestCredentials(provider, email, email=email, password=secret)
    if provider == "transportone":
        credentials = TransportOneCredentials(provider, name, client_id=f"{name}-client",
                                              client_secret=secret)
        # The first token request registers the client with the tenant it names.
        client.call("POST", TRANSPORTONE_TOKEN_PATH, headers=credentials.headers(),
                    body={"clientId": credentials.client_id,
                          "clientSecret": credentials.client_secret})
        return credentials
    raise ValueError(f"no provider named {provider!r} (maast, payone, harvest, transportone)")
