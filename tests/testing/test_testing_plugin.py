"""The pytest plugin as its users meet it: pytester runs small test suites in a fresh process."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import ServedSandbox

pytest_plugins = ["pytester"]

USER_SUITE = (Path(__file__).parent / "user_suite.py").read_text(encoding="utf-8")

FAILING = '''
import base64
import httpx

def test_a_client_that_gets_it_wrong(invoice_sandbox):
    key = base64.b64encode(":".join(["", "key", "for", "the", "report"]).encode()).decode()
    headers = {"Authorization": "Basic " + key}
    answer = httpx.post(invoice_sandbox.url + "/platform/invoice", headers=headers,
                        json={"invoice_number": "BROKEN-1"})
    assert answer.status_code == 200
'''

PARALLEL = '''
import httpx
import pytest

@pytest.mark.parametrize("n", range(6))
def test_isolated_tenants_on_one_shared_sandbox(invoice_sandbox, n):
    maast = invoice_sandbox.tenant("maast")
    with httpx.Client(base_url=invoice_sandbox.url, headers=maast.headers()) as api:
        assert api.get("/platform/invoice").json()["data"] == []
        body = {"customer_id": "C", "save_customer": True, "invoice_number": f"N-{n}",
                "billing_contact": {"first_name": "A", "last_name": "B",
                                    "email_address": "a@example.com"},
                "date_invoice": "2026-03-01", "payment_terms": {"type": "DAYS", "value": "1"},
                "line_items": [{"quantity": 1, "description": "x", "unit_cost": 1}]}
        assert api.post("/platform/invoice", json=body).status_code == 200
        [mine] = api.get("/platform/invoice").json()["data"]
        assert mine["invoice_number"] == f"N-{n}"
'''


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_every_fixture_and_client_method_in_process(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_integration=USER_SUITE)
    result = run(pytester)
    result.assert_outcomes(passed=8)


def test_a_failing_test_reports_its_requests_redacted(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_failing=FAILING)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*invoice-sandbox requests*",
        "#1 maast POST /platform/invoice -> 400",
        "    headers: *authorization: Basic [[]redacted[]]*",
        '    request: {"invoice_number":"BROKEN-1"}',
        '    response: {"code":2,"message":"Invalid request: customer_id",*',
    ])
    assert "OmtleTpmb3I6dGhlOnJlcG9ydA" not in result.stdout.str()


def test_an_external_sandbox_by_option_under_xdist_without_reset(
        pytester: pytest.Pytester, served: Callable[..., ServedSandbox]) -> None:
    sandbox = served()
    pytester.makepyfile(test_parallel=PARALLEL)
    result = run(pytester, "-n", "2", f"--invoice-sandbox-url={sandbox.url}",
                 "--invoice-sandbox-reset=none")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*2 workers*"])


def test_an_external_sandbox_by_environment(pytester: pytest.Pytester,
                                            served: Callable[..., ServedSandbox],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = served()
    monkeypatch.setenv("INVOICE_SANDBOX_URL", sandbox.url)
    pytester.makepyfile(test_integration=USER_SUITE)
    result = run(pytester)
    result.assert_outcomes(passed=8)


def test_an_unreachable_external_sandbox_fails_with_one_reason(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one="def test_it(invoice_sandbox):\n    pass\n")
    result = run(pytester, "--invoice-sandbox-url=http://127.0.0.1:9")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*invoice-sandbox at http://127.0.0.1:9 is not reachable*"])


def test_a_project_whose_own_package_is_app(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{
        "app/__init__.py": "NAME = 'the user app'\n",
        "app/billing.py": (
            "import httpx\n\n"
            "def invoices(base_url, headers):\n"
            "    return httpx.get(base_url + '/platform/invoice', headers=headers).json()\n"),
        "tests/test_billing.py": (
            "import app\n"
            "from app.billing import invoices\n\n"
            "def test_it(invoice_sandbox):\n"
            "    assert app.NAME == 'the user app'\n"
            "    maast = invoice_sandbox.tenant('maast')\n"
            "    assert invoices(invoice_sandbox.url, maast.headers())['data'] == []\n"),
    })
    pytester.makeini("[pytest]\npythonpath = .\n")
    result = run(pytester)
    result.assert_outcomes(passed=1)


def test_a_suite_without_the_fixtures_starts_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain=(
        "import sys\n\n"
        "def test_nothing_of_the_sandbox_is_loaded():\n"
        "    loaded = [m for m in sys.modules if m.startswith(('invoice_sandbox.testing.server',\n"
        "              'invoice_sandbox.testing.client', 'invoice_sandbox.main', 'uvicorn'))]\n"
        "    assert loaded == []\n"))
    result = run(pytester)
    result.assert_outcomes(passed=1)


# --- the README's examples, run as written ----------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_blocks(language: str) -> dict[str, str]:
    """The code blocks of "Testing your integration" whose first line names their file."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Testing your integration", 1)[1].split("\n## ", 1)[0]
    blocks = section.split(f"```{language}\n")[1:]
    named = {}
    for block in blocks:
        code = block.split("```", 1)[0]
        first = code.splitlines()[0]
        if first.startswith(("# ", "// ")) and "." in first:
            named[first.split(" ", 1)[1].strip()] = code
    return named


def test_the_readme_pytest_example_passes(pytester: pytest.Pytester) -> None:
    blocks = readme_blocks("python")
    assert set(blocks) == {"billing.py", "test_billing.py"}
    for name, code in blocks.items():
        pytester.path.joinpath(name).write_text(code, encoding="utf-8")
    result = run(pytester, "-n", "2")
    result.assert_outcomes(passed=2)


def test_the_readme_javascript_example_passes(tmp_path: Path,
                                              served: Callable[..., ServedSandbox]) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    [(name, code)] = readme_blocks("js").items()
    (tmp_path / name).write_text(code, encoding="utf-8")
    sandbox = served()
    done = subprocess.run([node, "--test", name], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "INVOICE_SANDBOX_URL": sandbox.url}, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
