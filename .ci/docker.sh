#!/usr/bin/env bash
# The image and the compose service, built and run as a user would: install a Docker engine
# (Debian's docker.io and docker-compose) if missing, start dockerd if none answers, build the
# image (a stand-in base when python:3.12-slim cannot be pulled), bring the compose service up,
# wait for healthy, write a Maast invoice, restart, read it back, check `docker stop` is
# graceful (< 2 s), tear everything down. Idempotent; needs root. About 3 minutes.
# Any failed step ends the run with one line: "docker.sh: FAILED: <step>: <why>".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
cd "$repo"
base=${BASE_IMAGE:-python:3.12-slim}
project=invoice-sandbox-ci
log=$(mktemp)
compose_cmd=()

fail() { echo "docker.sh: FAILED: $1${2:+: $2}" >&2; exit 1; }
run() {  # run STEP CMD...: the command's output goes to the log, shown only when it fails
  local step=$1; shift
  if ! "$@" >"$log" 2>&1; then
    tail -5 "$log" | sed 's/^/docker.sh:   /' >&2
    fail "$step" "$(tail -1 "$log")"
  fi
}
compose() { INVOICE_SANDBOX_HOST_PORT=$port "${compose_cmd[@]}" -p "$project" "$@"; }
teardown() {
  if [ ${#compose_cmd[@]} -gt 0 ]; then compose down -v --remove-orphans >/dev/null 2>&1; fi
  rm -f "$log"
}

# --- a Docker engine --------------------------------------------------------------------------
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker-compose >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || fail "install docker.io" "not root; install docker.io and docker-compose"
  run "apt-get update" apt-get update -qq
  run "install docker.io docker-compose" \
    env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-compose
fi
if ! docker info >/dev/null 2>&1; then
  (dockerd >/var/log/invoice-sandbox-dockerd.log 2>&1 &)
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || fail "start dockerd" "$(tail -1 /var/log/invoice-sandbox-dockerd.log)"
fi
if docker compose version >/dev/null 2>&1; then compose_cmd=(docker compose)
else compose_cmd=(docker-compose); fi
trap teardown EXIT

# --- the base image ---------------------------------------------------------------------------
if ! docker image inspect "$base" >/dev/null 2>&1 && ! timeout 60 docker pull -q "$base" >/dev/null 2>&1; then
  # shared/ lies beside the clone in CI (and beside the folder of work trees on a developer's
  # machine).
  standin=""
  for dir in "$repo/.." "$repo/../.."; do
    [ -f "$dir/shared/tools/docker-base-standin.sh" ] && { standin=$dir/shared/tools/docker-base-standin.sh; break; }
  done
  [ -n "$standin" ] || fail "base image" "$base cannot be pulled and ../shared/tools/docker-base-standin.sh is missing"
  run "stand-in base image" bash "$standin" "$base"
fi

# --- build and start --------------------------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
compose down -v --remove-orphans >/dev/null 2>&1  # a previous run's leftovers
run "build the image" compose build
run "start the service" compose up -d invoice-sandbox
cid=$(compose ps -q invoice-sandbox)
[ -n "$cid" ] || fail "start the service" "no container"

wait_healthy() {
  local state=""
  for _ in $(seq 90); do
    state=$(docker inspect -f '{{.State.Health.Status}}' "$cid" 2>/dev/null)
    [ "$state" = healthy ] && return 0
    sleep 1
  done
  docker logs --tail 5 "$cid" 2>&1 | sed 's/^/docker.sh:   /' >&2
  fail "$1" "the container is $state, not healthy, after 90 s"
}
wait_healthy "wait for healthy"
[ "$(docker inspect -f '{{.Config.User}}' "$cid")" != "" ] \
  && [ "$(docker exec "$cid" id -u)" != 0 ] || fail "non-root user" "the server runs as root"
docker port "$cid" 8080 | grep -q "^127.0.0.1:$port$" || fail "published port" "$(docker port "$cid" 8080)"

# --- data survives a restart ------------------------------------------------------------------
maast() {  # maast METHOD PATH [JSON]: prints the response's data; fails on anything but code 0
  python3 - "$port" "$@" <<'EOF'
import base64, json, sys, urllib.request
port, method, path = sys.argv[1:4]
body = sys.argv[4].encode() if len(sys.argv) > 4 else None
auth = base64.b64encode(b":maast-demo-key").decode()
request = urllib.request.Request(f"http://127.0.0.1:{port}/platform{path}", data=body,
                                 method=method, headers={"Authorization": f"Basic {auth}",
                                                         "Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.load(response)
except OSError as exc:  # HTTPError included: one line with the answer's body
    detail = exc.read().decode(errors="replace")[:300] if hasattr(exc, "read") else ""
    sys.exit(f"{method} {path}: {exc} {detail}")
if answer.get("code") != 0:
    sys.exit(f"{method} {path}: {answer}")
print(json.dumps(answer["data"]))
EOF
}
number="CI-$(date +%s)"
created=$(maast POST /invoice "{\"customer_id\": \"CI\", \"invoice_number\": \"$number\",
  \"save_customer\": true, \"billing_contact\": {\"first_name\": \"C\", \"last_name\": \"I\",
  \"email_address\": \"ci@example.com\"},
  \"line_items\": [{\"quantity\": 1, \"description\": \"Check\", \"unit_cost\": 12.5}]}" 2>&1) \
  || fail "write a Maast invoice" "$created"
id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["invoice_id"])' "$created")
run "restart the service" compose restart invoice-sandbox
wait_healthy "healthy after restart"
detail=$(maast GET "/invoice/$id/detail" 2>&1) || fail "read the invoice back" "$detail"
case $detail in *"\"$number\""*) ;; *) fail "read the invoice back" "invoice $id lost its number";; esac

# --- graceful stop ----------------------------------------------------------------------------
started=$(date +%s%N)
run "docker stop" docker stop -t 10 "$cid"
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
code=$(docker inspect -f '{{.State.ExitCode}}' "$cid")
[ "$elapsed_ms" -lt 2000 ] || fail "graceful stop" "docker stop took ${elapsed_ms} ms"
[ "$code" = 0 ] || fail "graceful stop" "the server exited with $code"

size=$(docker image inspect -f '{{.Size}}' invoice-sandbox:latest)
echo "docker.sh: ok: image $((size / 1048576)) MiB, healthy, invoice $id kept across a restart, stopped in ${elapsed_ms} ms"
