#!/usr/bin/env bash
# A bounded schemathesis run over every OpenAPI document the sandbox serves.
#
# Starts `invoice-sandbox serve` on a free 127.0.0.1 port (bundled fixtures, open auth, a
# throwaway database), runs the examples, coverage and fuzzing phases of each document with one
# worker and a fixed seed, and stops the server. Fails on any 5xx, response-schema, content-type
# or undocumented-status failure. Tunables: ST_MAX_EXAMPLES (default 25), ST_SEED (default 1),
# ST_ONLY (space-separated document names to run; default all), ST_REPORT_ONLY (names whose
# failures are printed but do not fail the run). Names: maast payone transportone harvest
# control-plane.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

fail() { echo "schemathesis.sh: $*" >&2; exit 1; }

if [ ! -x .venv/bin/st ]; then
  { [ -x .venv/bin/python ] || python3 -m venv .venv; } || fail "cannot create .venv (python3 -m venv)"
  .venv/bin/pip install -q -e '.[test]' >/dev/null 2>&1 \
    || fail "cannot install the test extras (schemathesis) with pip"
  [ -x .venv/bin/st ] || fail "schemathesis is not installed in .venv"
fi

PY=.venv/bin/python
MAX_EXAMPLES="${ST_MAX_EXAMPLES:-25}"
SEED="${ST_SEED:-1}"
ONLY=" ${ST_ONLY:-maast payone transportone harvest control-plane} "
REPORT_ONLY=" ${ST_REPORT_ONLY:-} "
WORK="$(mktemp -d)"
PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
SERVER=""

cleanup() {
  if [ -n "$SERVER" ] && kill -0 "$SERVER" 2>/dev/null; then
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$PY" -m invoice_sandbox serve --host 127.0.0.1 --port "$PORT" --db "$WORK/sandbox.db" \
  --auth open >"$WORK/server.log" 2>&1 &
SERVER=$!

"$PY" - "$BASE" <<'PY' || { cat "$WORK/server.log" >&2; fail "the sandbox did not become healthy"; }
import sys, time, httpx
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        if httpx.get(f"{sys.argv[1]}/_sandbox/health", timeout=1).status_code == 200:
            sys.exit(0)
    except httpx.HTTPError:
        pass
    time.sleep(0.1)
sys.exit(1)
PY

# Credentials the bundled fixtures accept (fixtures/*.toml).
MAAST_AUTH="Authorization: Basic $(printf ':maast-demo-key' | base64)"
T1_TOKEN="$("$PY" - "$BASE" <<'PY'
import sys, httpx
r = httpx.post(f"{sys.argv[1]}/core/api/v1/aaa/auth/client-credentials",
               json={"clientId": "tms-demo-client", "clientSecret": "tms-demo-secret"},
               headers={"x-coreos-tid": "tms-demo"})
r.raise_for_status()
print(r.json()["data"]["accessToken"])
PY
)" || fail "could not get a TransportOne token from the demo client"

status=0
run() {  # run NAME DOCUMENT-PATH API-PREFIX [extra schemathesis flags...]
  local name="$1" doc="$2" prefix="$3"; shift 3
  local code
  [[ "$ONLY" == *" $name "* ]] || return 0
  code="$("$PY" -c 'import httpx, sys; print(httpx.get(sys.argv[1]).status_code)' "$BASE$doc")"
  if [ "$code" = 404 ]; then
    echo "== $name: $doc is not served, skipped"
    return
  fi
  echo "== $name: $doc"
  # From the scratch directory: schemathesis keeps its example database in ./.schemathesis.
  if ! (cd "$WORK" && "$ROOT/.venv/bin/st" run "$BASE$doc" --url "$BASE$prefix" \
      --phases examples,coverage,fuzzing --workers 1 --seed "$SEED" \
      --max-examples "$MAX_EXAMPLES" --no-shrink --request-timeout 30 \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
      --suppress-health-check all --warnings off "$@"); then
    if [[ "$REPORT_ONLY" == *" $name "* ]]; then
      echo "== $name: failures reported only (ST_REPORT_ONLY)" >&2
    else
      echo "== $name: FAILED" >&2
      status=1
    fi
  fi
}

run maast /_sandbox/openapi/maast.json /platform -H "$MAAST_AUTH"
run payone /_sandbox/openapi/payone.json /URL2PayAdminWeb/rest/InvoicesService
run transportone /_sandbox/openapi/transportone.json "" -H "x-coreos-access: $T1_TOKEN" \
  -H "x-coreos-tid: tms-demo"
run harvest /_sandbox/openapi/harvest.json "" \
  -H "Authorization: Basic $(printf 'owner@demo.example:harvest-demo' | base64)"
run control-plane /_sandbox/openapi.json ""
exit "$status"
