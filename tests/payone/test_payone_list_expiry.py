"""The dashboard's invoice table shows PayOne expiry as the clock passes it, whether or not the
invoices were read in between."""

from __future__ import annotations

from typing import Any

from payone_support import PayOne, advance

DAY = 86_400


def _table(api: PayOne, **params: Any) -> dict[str, str]:
    response = api.http.get("/_sandbox/invoices", params={"provider": "payone", **params})
    assert response.status_code == 200, response.text
    return {row["ref"]: row["status"] for row in response.json()["invoices"]}


def test_the_table_shows_each_invoice_expired_once_its_validity_passed(api: PayOne) -> None:
    api.create_one("SOON", expiryperiod="1D")
    api.create_one("LATER", expiryperiod="3D")
    api.create_one("OFF", expiryperiod="1D")
    api.create_one("PAID", expiryperiod="1D")
    api.deactivate("OFF")
    api.pay("PAID")
    advance(api.http, DAY)
    assert _table(api) == {"SOON": "EXPIRED", "LATER": "NEW", "OFF": "EXPIRED", "PAID": "PAID"}
    assert api.status("LATER") == "NEW"  # a read in between
    advance(api.http, 2 * DAY)
    assert _table(api, status="expired") == {"SOON": "EXPIRED", "LATER": "EXPIRED",
                                             "OFF": "EXPIRED"}


def test_a_running_clock_expires_invoices_the_table_shows(api: PayOne) -> None:
    api.http.post("/_sandbox/clock", json={"freeze": False})
    api.create_one("A", expiryperiod="1D")
    api.create_one("B", expiryperiod="2D")
    advance(api.http, DAY + 5)
    assert _table(api) == {"A": "EXPIRED", "B": "NEW"}
    advance(api.http, DAY)
    assert _table(api) == {"A": "EXPIRED", "B": "EXPIRED"}
