#!/usr/bin/env bash
# The wheel as a user gets it: build it, install it (not editable) in a fresh venv, and start
# `invoice-sandbox` with its defaults from an empty folder whose own `app` package is first on
# PYTHONPATH. Checks that the wheel carries the fixtures, the four OpenAPI documents and the docs
# assets, that the fixtures are served, that /_sandbox/docs loads nothing from the network, and
# that nothing imports the user's `app`. One line "wheel.sh: FAILED: <step>: <why>" on failure.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill "$server"; wait "$server"; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "wheel.sh: FAILED: $1${2:+: $2}" >&2; exit 1; }
run() {
  local step=$1; shift
  "$@" >"$work/log" 2>&1 || { tail -5 "$work/log" | sed 's/^/wheel.sh:   /' >&2; fail "$step" "$(tail -1 "$work/log")"; }
}

run "build the wheel" python3 -m pip wheel -q --no-deps --wheel-dir "$work/dist" "$repo"
wheel=$(ls "$work"/dist/invoice_sandbox-*.whl 2>/dev/null | head -1)
[ -n "$wheel" ] || fail "build the wheel" "no invoice_sandbox wheel was made"
run "the wheel's contents" python3 - "$wheel" <<'EOF'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
wanted = ["invoice_sandbox/cli.py", "invoice_sandbox/fixtures/maast.toml",
          *(f"invoice_sandbox/providers/{p}/openapi.json"
            for p in ("maast", "payone", "harvest", "transportone"))]
missing = [n for n in wanted if n not in names]
tops = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")}
if missing or tops != {"invoice_sandbox"}:
    sys.exit(f"missing {missing}, top-level {sorted(tops)}")
EOF

run "a fresh venv" python3 -m venv "$work/venv"
run "install the wheel" "$work/venv/bin/pip" install -q "$wheel"

# An empty folder holding a user's project with an `app` package of its own.
mkdir -p "$work/project/app"
echo 'USER_APP = True' >"$work/project/app/__init__.py"
echo 'raise SystemExit("the user app.cli ran instead of the sandbox")' >"$work/project/app/cli.py"
echo 'raise SystemExit("the user app.main ran instead of the sandbox")' >"$work/project/app/main.py"
cd "$work/project" || fail "empty folder"
export PYTHONPATH=$work/project
for name in $(env | grep -o '^INVOICE_SANDBOX_[A-Z_]*'); do unset "$name"; done

run "import beside a user app" "$work/venv/bin/python" -c '
import importlib, importlib.util
import app, invoice_sandbox.main, invoice_sandbox.cli
assert app.USER_APP and invoice_sandbox.main.__file__.find("site-packages") > 0
if importlib.util.find_spec("invoice_sandbox.testing"):  # the module a pytest plugin imports
    importlib.import_module("invoice_sandbox.testing")
assert app.USER_APP'
port=$("$work/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$work/venv/bin/invoice-sandbox" --port "$port" >"$work/server.log" 2>&1 &
server=$!
url=http://127.0.0.1:$port
for _ in $(seq 100); do
  "$work/venv/bin/invoice-sandbox" health --url "$url" --timeout 1 >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || fail "start from an empty folder" "$(tail -1 "$work/server.log")"
  sleep 0.2
done
grep -q "^invoice-sandbox " "$work/server.log" || fail "start-up banner" "nothing printed"
run "serve fixtures, documents and offline docs" "$work/venv/bin/python" - "$url" <<'EOF'
import base64, json, re, sys, urllib.request
url = sys.argv[1]

def get(path, headers=None):
    with urllib.request.urlopen(urllib.request.Request(url + path, headers=headers or {}),
                                timeout=10) as response:
        return response.status, response.read()

key = base64.b64encode(b":maast-demo-key").decode()
status, body = get("/platform/invoice", {"Authorization": f"Basic {key}"})
assert status == 200 and json.loads(body)["totalRecords"] > 0, body[:200]
for provider in ("maast", "payone", "harvest", "transportone"):
    status, body = get(f"/_sandbox/openapi/{provider}.json")
    assert status == 200 and json.loads(body)["openapi"].startswith("3."), provider
status, page = get("/_sandbox/docs")
text = page.decode()
assert status == 200 and "swagger" in text.lower()
external = re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I)
assert not external, f"the docs page loads {external}"
for asset in re.findall(r'(?:src|href)="(/[^"]+)"', text):
    assert get(asset)[0] == 200, asset
status, body = get("/_sandbox/openapi.json")
assert status == 200 and "/_sandbox/reset" in json.loads(body)["paths"]
EOF
[ -f "$work/project/sandbox.db" ] || fail "default database" "no ./sandbox.db in the folder it started from"
kill "$server"; wait "$server"; code=$?; server=""
[ "$code" = 0 ] || fail "graceful stop" "the server exited with $code on SIGTERM"
echo "wheel.sh: ok: $(basename "$wheel") serves fixtures, four OpenAPI documents and offline docs beside a user app package"
