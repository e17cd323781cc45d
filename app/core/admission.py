"""Who may add a new credential to a tenant without the control plane or fixtures.

Tenant names are hostnames (`ACCOUNT.localhost`, `x-coreos-tid`), not secrets. In open mode a new
credential may create a new tenant and become its first credential; it never joins a tenant that
already has credentials, whose own credentials (or ones added through fixtures or the control
plane) are the only way in. Strict mode admits no new credential at all. Callers check inside the
write transaction that adds the credential, so two first logins cannot both get in.
"""

from __future__ import annotations


def may_register(*, strict: bool, existing_credentials: int) -> bool:
    return not strict and existing_credentials == 0
