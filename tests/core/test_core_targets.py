"""Which delivery URLs are the sandbox's own control plane, however they are spelled."""

from __future__ import annotations

import pytest
from invoice_sandbox.core.targets import InvalidTarget, OwnEndpoints, target_of

OWN = OwnEndpoints.of("127.0.0.1", 8080, "http://sandbox.test:9000")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/_sandbox/reset",
    "http://127.0.0.1:8080/_sandbox",
    "http://localhost:8080/_sandbox/reset?provider=maast",
    "http://LOCALHOST.:8080/_sandbox/reset",
    "http://[::1]:8080/_sandbox/faults",
    "http://0.0.0.0:8080/_sandbox/reset",
    "http://127.1.2.3:8080/_sandbox/reset",
    "http://2130706433:8080/_sandbox/reset",
    "http://[::ffff:127.0.0.1]:8080/_sandbox/reset",
    "http://127.0.0.1:8080/%5Fsandbox/reset",
    "http://127.0.0.1:8080/%255Fsandbox/reset",
    "http://127.0.0.1:8080/tms/../_sandbox/reset",
    "http://127.0.0.1:8080//_sandbox/reset",
    "http://127.0.0.1:8080/./_sandbox/./reset",
    "http://sandbox.test:9000/_sandbox/reset",
    "http://sandbox.test:8080/_sandbox/reset",
])
def test_the_control_plane_is_refused_however_it_is_spelled(url: str) -> None:
    assert OWN.refuses(url)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/erp/callback",
    "http://127.0.0.1:8080/tms/_sandbox/reset",
    "http://127.0.0.1:8081/_sandbox/reset",
    "http://192.0.2.10:8080/_sandbox/reset",
    "https://erp.invalid/_sandbox/reset",
])
def test_other_endpoints_are_allowed(url: str) -> None:
    assert not OWN.refuses(url)


def test_default_ports_and_unusable_urls() -> None:
    own = OwnEndpoints.of("0.0.0.0", 80, "http://127.0.0.1")
    assert own.refuses("http://127.0.0.1/_sandbox/reset")
    assert not own.refuses("https://127.0.0.1/_sandbox/reset")  # port 443
    for url in ("ftp://127.0.0.1/_sandbox/reset", "http:///x", "http://[::1/x",
                "http://127.0.0.1:99999/x"):
        with pytest.raises(InvalidTarget):
            own.refuses(url)
    assert target_of("HTTP://ERP.example/x") == "http://erp.example:80"
    assert target_of("https://[::1]/x") == "https://[::1]:443"
    assert target_of("not a url") == ""
