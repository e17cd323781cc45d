"""Benchmark of the sandbox over real HTTP: start-up time, then requests/s and p50/p99 latency
for Maast's invoice detail, create and add-payment at N concurrent keep-alive connections.

    python -m bench.run                    # 32 connections, 10 s per scenario
    python -m bench.run -c 32 -d 5 --json  # shorter, plus a JSON summary line
    python bench/run.py --tool wrk         # drive with wrk (Lua script generated) if installed
    python -m bench.run --profile prof/    # py-spy each scenario, print where the time went
    python -m bench.run --server-arg=--workers --server-arg=2   # once `serve` takes --workers
    python -m bench.run --compare ceiling,prism   # the same scenarios against the stack's
                                                  # ceiling and Prism, with ratios

It starts the server itself (`--server-cmd`, a template), times how long the process takes to
answer `GET /_sandbox/health` with 200, prepares invoices over the Maast API, runs each scenario
with a load generator in a separate process, and checks afterwards that what the server stored
matches what it acknowledged (payments summed, invoices counted). With `--compare` it then runs
the same requests against a bare Starlette app replaying the sandbox's answers (bench/ceiling.py)
and against Prism's mock of the sandbox's Maast OpenAPI document (bench/compare.py), and prints
all of them side by side with the sandbox's ratios.

Targets: detail >= 3000 req/s, create and add-payment >= 1500 req/s, p99 <= 25 ms at 32
connections, health <= 1.5 s.

The machine is usually shared: the report shows how many cores the server, the load generator
and everything else used during each scenario, so a noisy run can be recognised as one, and
"req/server-core-s" (requests per CPU-second of the server) stays comparable across such runs.
`python -m bench.inproc` measures the application's CPU per request without any HTTP at all.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import platform
import resource
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as `python bench/run.py`
    sys.path.insert(0, str(ROOT))

from bench import compare, loadgen, stacks  # noqa: E402

LOADGEN = Path(__file__).resolve().parent / "loadgen.py"
DEFAULT_SERVER_CMD = ("{python} -m invoice_sandbox serve --host 127.0.0.1 --port {port} --db {db} "
                      "--fixtures none")
SCENARIOS = ("detail", "create", "payment")
# `health` is not run by default: it is the floor (server + framework, no database) to set the
# three real scenarios against.
EXTRA_SCENARIOS = ("health",)
TARGETS = {"detail": 3000.0, "create": 1500.0, "payment": 1500.0, "health": 3000.0}
P99_TARGET_MS = 25.0
STARTUP_TARGET_S = 1.5


class BenchError(RuntimeError):
    """The benchmark cannot go on (server did not start, preparation failed ...)."""


# --- the server under test -----------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def health_ok(host: str, port: int) -> bool:
    try:
        conn = http.client.HTTPConnection(host, port, timeout=1.0)
        conn.request("GET", "/_sandbox/health")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


@dataclass
class Server:
    host: str
    port: int
    process: subprocess.Popen[bytes] | None = None
    startup_s: float | None = None
    log_path: Path | None = None
    command: list[str] = field(default_factory=list)
    external_pid: int | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else self.external_pid

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def sandbox_command(template: str, extra: list[str], port: int, db: Path) -> list[str]:
    return shlex.split(template.format(python=shlex.quote(sys.executable), port=port,
                                       db=shlex.quote(str(db)), host="127.0.0.1")) + extra


def started_server(template: str, extra: list[str], workdir: Path,
                   timeout: float) -> AbstractContextManager[Server]:
    """The sandbox from a command template, healthy, on a new database in `workdir`."""
    db = workdir / "bench.sqlite"
    return launched(lambda port: sandbox_command(template, extra, port, db), workdir, timeout)


@contextmanager
def launched(command_for: Callable[[int], list[str]], workdir: Path, timeout: float,
             name: str = "server",
             ready: Callable[[str, int], bool] = health_ok) -> Iterator[Server]:
    """Starts `command_for(port)` and waits until `ready(host, port)`; its output goes to
    `workdir`/`name`.log."""
    port = free_port()
    command = command_for(port)
    server = Server("127.0.0.1", port, log_path=workdir / f"{name}.log", command=command)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    with open(server.log_path, "wb") as log:  # type: ignore[arg-type]
        began = time.perf_counter()
        server.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        try:
            while True:
                if server.process.poll() is not None:
                    raise BenchError(f"{name} exited with {server.process.returncode}:\n"
                                     f"{server.log_tail()}")
                if ready(server.host, port):
                    server.startup_s = time.perf_counter() - began
                    break
                if time.perf_counter() - began > timeout:
                    raise BenchError(f"{name} not ready after {timeout:.0f} s:\n"
                                     f"{server.log_tail()}")
                time.sleep(0.005)
            yield server
        finally:
            stop(server.process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- CPU accounting (Linux /proc; None elsewhere) --------------------------------------------

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system CPU seconds) of one process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def tree_cpu_s(root: int | None) -> float | None:
    """CPU seconds used so far by `root` and its live descendants (e.g. worker processes)."""
    if root is None or not Path("/proc").is_dir():
        return None
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = _proc_stat(int(entry.name))
            if stat is not None:
                parents[int(entry.name)], cpu[int(entry.name)] = stat
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo += [child for child, parent in parents.items() if parent == pid]
    return total


def machine_busy_s() -> float | None:
    """CPU seconds all cores spent busy since boot (from /proc/stat)."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    values = [int(v) for v in first[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / TICK


def machine_info() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpus": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
            "platform": platform.platform(), "loadavg": load}


# --- the Maast API, for preparing data ---------------------------------------------------------

class Maast:
    """A tiny keep-alive client for data preparation and the consistency checks."""

    IDLE_S = 2.0  # servers close idle keep-alive connections (uvicorn after 5 s)

    def __init__(self, host: str, port: int, key: str) -> None:
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.used = time.monotonic()
        token = base64.b64encode(f":{key}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Accept": "application/json",
                        "Content-Type": "application/json"}

    def raw(self, method: str, path: str,
            body: Any = None) -> tuple[int, list[tuple[str, str]], bytes]:
        """(status, headers, body) of one request, as the server sent them."""
        if time.monotonic() - self.used > self.IDLE_S:
            self.conn.close()  # reconnect rather than race the server's idle timeout
        payload = None if body is None else json.dumps(body)
        try:
            self.conn.request(method, path, body=payload, headers=self.headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (ConnectionError, http.client.HTTPException) as exc:
            raise BenchError(f"{method} {path}: {exc!r}") from exc
        self.used = time.monotonic()
        return response.status, response.getheaders(), raw

    def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        status, _, raw = self.raw(method, path, body)
        try:
            document = json.loads(raw)
        except ValueError:
            document = None
        if status != 200 or not isinstance(document, dict) or document.get("code"):
            raise BenchError(f"{method} {path} -> {status}: {raw[:300]!r}")
        return document

    def close(self) -> None:
        self.conn.close()


def invoice_body(number: str, *, big: bool = False) -> dict[str, Any]:
    """A create request shaped like the guide's example: contacts, line items, RATE tax, terms."""
    items: list[dict[str, Any]] = (
        [{"quantity": 1, "description": "Balance for payments", "unit_cost": 1000000}] if big
        else [{"quantity": 2, "description": "Widget", "unit_cost": 12.5},
              {"quantity": 1, "description": "Support hour", "unit_cost": 99.99}])
    return {
        "customer_id": "BENCH-CUSTOMER",
        "invoice_number": number,
        "save_customer": True,
        "date_invoice": "2026-01-05",
        "from_contact": {"firm_name": "Bench Supplies", "email_address": "ar@bench.example",
                         "phone": "5555550100"},
        "billing_contact": {"first_name": "Ada", "last_name": "Lovelace",
                            "email_address": "ada@example.com"},
        "payment_terms": {"type": "DAYS", "value": "10"},
        "line_items": items,
        "sales_tax": {"type": "RATE", "value": 8.25},
    }


PAYMENT = {"type": "CASH", "amt_paid": 0.01, "date_payment": "2026-01-01"}


@dataclass
class Prepared:
    detail_ids: list[int]
    payment_ids: list[int]
    seconds: float


def prepare(api: Maast, count: int, scenarios: list[str]) -> Prepared:
    began = time.perf_counter()
    detail: list[int] = []
    paying: list[int] = []
    if "detail" in scenarios:
        for i in range(count):
            data = api.call("POST", "/platform/invoice", invoice_body(f"BENCH-D-{i:05d}"))["data"]
            if i % 2:  # half of them sent: OUTSTANDING, with invoice_link and date_sent
                api.call("POST", f"/platform/invoice/{data['invoice_id']}/send", {})
            detail.append(int(data["invoice_id"]))
    if "payment" in scenarios:
        for i in range(count):
            body = invoice_body(f"BENCH-P-{i:05d}", big=True)
            paying.append(int(api.call("POST", "/platform/invoice", body)["data"]["invoice_id"]))
    return Prepared(detail, paying, time.perf_counter() - began)


def scenario_requests(name: str, prepared: Prepared) -> list[dict[str, Any]]:
    if name == "health":
        return [{"method": "GET", "path": "/_sandbox/health"}]
    if name == "detail":
        return [{"method": "GET", "path": f"/platform/invoice/{i}/detail"}
                for i in prepared.detail_ids]
    if name == "create":
        body = json.dumps(invoice_body("B{seq}"), separators=(",", ":"))
        return [{"method": "POST", "path": "/platform/invoice", "body": body}]
    if name == "payment":
        body = json.dumps(PAYMENT, separators=(",", ":"))
        return [{"method": "POST", "path": f"/platform/invoice/{i}/payments", "body": body}
                for i in prepared.payment_ids]
    raise ValueError(name)


def capture(api: Maast, prepared: Prepared, scenarios: list[str]) -> dict[str, dict[str, Any]]:
    """One real answer of the sandbox per scenario, for the ceiling server to replay."""
    answers: dict[str, dict[str, Any]] = {}
    for name in scenarios:
        request = scenario_requests(name, prepared)[0]
        body = request.get("body")
        if body is not None:  # a create's number as wide as the generator's `{seq}`
            body = json.loads(body.replace("{seq}", "9" * loadgen.SEQ_WIDTH))
        status, headers, raw = api.raw(request["method"], request["path"], body)
        if not 200 <= status < 300:
            raise BenchError(f"capturing {name}: {request['path']} -> {status}: {raw[:300]!r}")
        answers[name] = {"status": status, "headers": headers,
                         "body_b64": base64.b64encode(raw).decode()}
    return answers


def probe(server: Server, key_header: str, name: str,
          requests: list[dict[str, Any]]) -> tuple[int, bytes]:
    """One request of a scenario, as the load generator sends it: (status, body)."""
    request = requests[0]
    body = request.get("body")
    body = None if body is None else body.replace("{seq}", "0" * loadgen.SEQ_WIDTH)
    headers = {"Authorization": key_header, "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        conn.request(request["method"], request["path"], body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise BenchError(f"{name}: {request['path']}: {exc!r}") from exc
    finally:
        conn.close()


def answers_http(host: str, port: int) -> bool:
    """Any HTTP answer at all (a server without a health route is up once it answers)."""
    try:
        conn = http.client.HTTPConnection(host, port, timeout=1.0)
        conn.request("GET", "/")
        conn.getresponse().read()
        conn.close()
        return True
    except (OSError, http.client.HTTPException):
        return False


def invoice_count(api: Maast) -> int:
    return int(api.call("GET", "/platform/invoice?count=1")["totalRecords"])


def paid_cents(api: Maast, ids: list[int]) -> int:
    total = 0
    for invoice_id in ids:
        data = api.call("GET", f"/platform/invoice/{invoice_id}/detail")["data"]
        total += round(float(data["amt_paid"]) * 100)
    return total


# --- load generators ---------------------------------------------------------------------------

def run_builtin(spec: dict[str, Any], same_process: bool) -> dict[str, Any]:
    if same_process:
        return loadgen.execute(spec)
    wait = spec["warmup"] + spec["duration"] + spec.get("grace", 30) + 30
    done = subprocess.run([sys.executable, str(LOADGEN)], input=json.dumps(spec).encode(),
                          capture_output=True, timeout=wait, check=False)
    if done.returncode != 0:
        raise BenchError(f"load generator failed: {done.stderr.decode(errors='replace')[-2000:]}")
    return json.loads(done.stdout.decode().strip().splitlines()[-1])  # type: ignore[no-any-return]


WRK_SCRIPT = r"""
local reqs = %(reqs)s
local headers = %(headers)s
local counter = 0
local threads = {}
function setup(thread)
  thread:set("thread_no", #threads)
  table.insert(threads, thread)
end
function request()
  counter = counter + 1
  local r = reqs[(counter %% #reqs) + 1]
  local body = r.body
  if r.suffix ~= nil then
    local seq = string.format("%%03d%%09d", (thread_no or 0) %% 1000, counter %% 1000000000)
    body = r.body .. seq .. r.suffix
  end
  return wrk.format(r.method, r.path, headers, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCHJSON {"requests":%%d,"duration_us":%%d,"connect":%%d,"read":%%d,' ..
    '"write":%%d,"status":%%d,"timeout":%%d,"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,' ..
    '"max_us":%%d,"mean_us":%%f}\n', summary.requests, summary.duration, e.connect, e.read,
    e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # JSON string escapes are valid Lua for this ASCII content


def wrk_script(spec: dict[str, Any]) -> str:
    entries = []
    for req in spec["requests"]:
        fields = [f"method={_lua_string(req['method'])}", f"path={_lua_string(req['path'])}"]
        body = req.get("body")
        if body is not None:
            before, seq, after = body.partition("{seq}")
            fields.append(f"body={_lua_string(before)}")
            if seq:
                fields.append(f"suffix={_lua_string(after)}")
        entries.append("{" + ", ".join(fields) + "}")
    headers = dict(spec["headers"])
    if any(r.get("body") is not None for r in spec["requests"]):
        headers["Content-Type"] = "application/json"
    lua_headers = "{" + ", ".join(f"[{_lua_string(k)}]={_lua_string(v)}"
                                  for k, v in headers.items()) + "}"
    return WRK_SCRIPT % {"reqs": "{" + ",\n".join(entries) + "}", "headers": lua_headers}


def _wrk_once(spec: dict[str, Any], script: Path, seconds: int, threads: int) -> dict[str, Any]:
    url = f"http://{spec['host']}:{spec['port']}"
    conns = max(spec["connections"], threads)
    done = subprocess.run(["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{seconds}s",
                           "--timeout", "30s", "-s", str(script), url],
                          capture_output=True, timeout=seconds + 60, check=False)
    out = done.stdout.decode(errors="replace")
    for line in out.splitlines():
        if line.startswith("BENCHJSON "):
            return json.loads(line.removeprefix("BENCHJSON "))  # type: ignore[no-any-return]
    raise BenchError(f"wrk failed: {out[-1000:]} {done.stderr.decode(errors='replace')[-1000:]}")


def run_wrk(spec: dict[str, Any], workdir: Path, threads: int) -> dict[str, Any]:
    script = workdir / "bench.lua"
    script.write_text(wrk_script(spec))
    ok_total = 0
    runs = 1
    if spec["warmup"] > 0:
        runs = 2
        warm = _wrk_once(spec, script, max(1, round(spec["warmup"])), threads)
        ok_total += warm["requests"] - warm["status"]
    before = resource_children()
    raw = _wrk_once(spec, script, max(1, round(spec["duration"])), threads)
    after = resource_children()
    seconds = raw["duration_us"] / 1e6
    errors = raw["status"] + raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    ok_total += raw["requests"] - raw["status"]
    return {
        "tool": "wrk", "connections": spec["connections"], "duration_s": seconds,
        "requests": raw["requests"], "rps": raw["requests"] / seconds if seconds else 0.0,
        "p50_ms": raw["p50_us"] / 1000, "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000, "max_ms": raw["max_us"] / 1000,
        "mean_ms": raw["mean_us"] / 1000, "errors": errors, "ok_total": ok_total,
        # wrk drops requests in flight at its deadline, which the server may still have stored.
        "complete": False, "in_flight_dropped_max": spec["connections"] * runs,
        "error_samples": [], "loadgen_cpu_s": after - before,
    }


def resource_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- profiling ---------------------------------------------------------------------------------

@contextmanager
def profiled(folder: Path | None, name: str, pid: int | None, delay: float,
             seconds: float) -> Iterator[None]:
    """py-spy on the server (and its worker processes) during the measured window only."""
    if folder is None or pid is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{name}.txt"
    command = ["py-spy", "record", "--pid", str(pid), "--subprocesses",
               "--rate", "250", "--format", "raw", "--output", str(out),
               "--duration", str(max(1, int(seconds)))]
    recorder: list[subprocess.Popen[bytes]] = []
    timer = threading.Timer(delay, lambda: recorder.append(subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()
        for process in recorder:
            _, err = process.communicate(timeout=seconds + 60)
            if process.returncode != 0:
                print(f"py-spy failed: {err.decode(errors='replace')[-500:]}", file=sys.stderr)
        if out.exists():
            print(stacks.summarise(out, top=30, focus=None))


# --- one scenario ------------------------------------------------------------------------------

def run_scenario(name: str, args: argparse.Namespace, server: Server, key_header: str,
                 prepared: Prepared, api: Maast | None, workdir: Path) -> dict[str, Any]:
    """One scenario against `server`; `api` None for a stateless server (no stored-vs-
    acknowledged check)."""
    spec: dict[str, Any] = {
        "host": server.host, "port": server.port, "connections": args.connections,
        "duration": args.duration, "warmup": args.warmup, "loop": args.loop,
        "headers": {"Authorization": key_header, "Accept": "application/json"},
        "requests": scenario_requests(name, prepared),
    }
    before_count = invoice_count(api) if api and name == "create" else 0
    before_paid = paid_cents(api, prepared.payment_ids) if api and name == "payment" else 0
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    server_cpu0, machine0, wall0 = tree_cpu_s(server.pid), machine_busy_s(), time.perf_counter()
    with profiled(args.profile if api else None, name, server.pid, args.warmup, args.duration):
        if args.tool == "wrk":
            result = run_wrk(spec, workdir, args.wrk_threads)
        else:
            result = run_builtin(spec, args.same_process)
    wall = time.perf_counter() - wall0
    server_cpu1, machine1 = tree_cpu_s(server.pid), machine_busy_s()
    result["scenario"] = name
    result["loadavg_1m_before"] = load_before
    # Cores used over the whole run (warm-up included); "others" is everyone else on the box.
    if server_cpu0 is not None and server_cpu1 is not None:
        result["server_cores"] = (server_cpu1 - server_cpu0) / wall
        # Requests per CPU-second of the server: the figure that noise on a shared box moves
        # least; what one free core would serve.
        if result["server_cores"] > 0:
            result["rps_per_server_core"] = result["rps"] / result["server_cores"]
    if machine0 is not None and machine1 is not None:
        busy = (machine1 - machine0) / wall
        result["machine_cores_busy"] = busy
        generator = result.get("loadgen_cpu_s")
        if generator is not None:
            result["loadgen_cores"] = generator / result["duration_s"]
        if "server_cores" in result and generator is not None:
            result["other_cores"] = max(0.0, busy - result["server_cores"]
                                        - result["loadgen_cores"])
    result["check"] = ("n/a (stateless)" if api is None else
                       consistency(name, result, api, prepared, before_count, before_paid))
    return result


def consistency(name: str, result: dict[str, Any], api: Maast, prepared: Prepared,
                before_count: int, before_paid: int) -> str:
    """What the server stored against what it acknowledged (exact for the builtin generator)."""
    exact = bool(result.get("complete"))
    if name == "create":
        stored, acked = invoice_count(api) - before_count, result["ok_total"]
        what = "invoices"
    elif name == "payment":
        stored, acked = paid_cents(api, prepared.payment_ids) - before_paid, result["ok_total"]
        what = "payments"
    else:
        return "n/a"
    if stored == acked:
        return f"ok ({stored} {what} stored = acknowledged)"
    if not exact and 0 <= stored - acked <= result.get("in_flight_dropped_max", 0):
        return f"ok ({stored} stored, {acked} acknowledged; generator dropped in-flight requests)"
    return f"MISMATCH ({stored} {what} stored, {acked} acknowledged)"


# --- output ------------------------------------------------------------------------------------

def verdict(name: str, result: dict[str, Any]) -> str:
    rps_ok = result["rps"] >= TARGETS[name]
    p99_ok = result["p99_ms"] <= P99_TARGET_MS
    return "meets target" if rps_ok and p99_ok and not result["errors"] else \
        "below target" + ("" if rps_ok else f" (rps < {TARGETS[name]:.0f})") + \
        ("" if p99_ok else f" (p99 > {P99_TARGET_MS:.0f} ms)") + \
        (f" ({result['errors']} errors)" if result["errors"] else "")


def fmt_cores(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:5.2f}"


def fmt_rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def print_table(results: list[dict[str, Any]]) -> None:
    print(f"{'scenario':<9} {'req/s':>8} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} "
          f"{'max ms':>7} {'errors':>6}  {'cores: server':>13} {'loadgen':>7} {'others':>6}"
          f"  {'req/server-core-s':>17}")
    for r in results:
        print(f"{r['scenario']:<9} {r['rps']:8.0f} {r['p50_ms']:7.2f} {r['p90_ms']:7.2f} "
              f"{r['p99_ms']:7.2f} {r['max_ms']:7.1f} {r['errors']:6d}  "
              f"{fmt_cores(r.get('server_cores')):>13} {fmt_cores(r.get('loadgen_cores')):>7} "
              f"{fmt_cores(r.get('other_cores')):>6}  {fmt_rate(r.get('rps_per_server_core')):>17}")
    for r in results:
        print(f"  {r['scenario']}: {verdict(r['scenario'], r)}; stored vs acknowledged: "
              f"{r['check']}")
        for sample in r.get("error_samples", [])[:3]:
            print(f"    error sample: {sample}")


# --- command line ------------------------------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-c", "--connections", type=int, default=32,
                   help="concurrent keep-alive connections (default 32)")
    p.add_argument("-d", "--duration", type=float, default=10.0,
                   help="measured seconds per scenario (default 10)")
    p.add_argument("-w", "--warmup", type=float, default=1.0,
                   help="unmeasured seconds of load before each scenario (default 1)")
    p.add_argument("-s", "--scenarios", default=",".join(SCENARIOS),
                   help="comma-separated, from detail,create,payment (the default) and health "
                        "(the no-database floor)")
    p.add_argument("--invoices", type=int, default=200,
                   help="invoices prepared for detail, and again for add-payment (default 200)")
    p.add_argument("--key", default="bench-key", help="Maast API key (open auth creates it)")
    p.add_argument("--server-cmd", default=os.environ.get("BENCH_SERVER_CMD", DEFAULT_SERVER_CMD),
                   help="server command template; {python} {port} {db} {host} are filled in "
                        "[BENCH_SERVER_CMD] (default: %(default)r)")
    p.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                   help="extra argument appended to the server command (repeatable), "
                        "e.g. --server-arg=--workers --server-arg=2")
    p.add_argument("--url", help="benchmark an already running server at this base URL "
                                 "instead of starting one (no start-up time, no server CPU)")
    p.add_argument("--server-pid", type=int,
                   help="with --url: pid of that server, for CPU accounting and --profile")
    p.add_argument("--startup-timeout", type=float, default=30.0,
                   help="seconds to wait for the health check (default 30)")
    p.add_argument("--tool", choices=("builtin", "wrk"), default="builtin",
                   help="load generator: the bundled asyncio one (default) or wrk from PATH")
    p.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (default 1)")
    p.add_argument("--loop", choices=("auto", "uvloop", "asyncio"), default="auto",
                   help="event loop of the builtin generator (default: uvloop if installed)")
    p.add_argument("--same-process", action="store_true",
                   help="run the builtin generator inside this process instead of a child")
    p.add_argument("--profile", type=Path, metavar="DIR",
                   help="record each scenario's measured window with py-spy (must be on PATH) "
                        "into DIR/<scenario>.txt and print where the server's time went; "
                        "sampling slows the server, so do not quote those runs' numbers")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary directory (database, server log, wrk script)")
    p.add_argument("--compare", default="", metavar="TARGETS",
                   help="also run the scenarios, after the sandbox, against `ceiling` (a bare "
                        "Starlette route answering the sandbox's captured bytes) and/or `prism` "
                        "(Prism's mock of the sandbox's Maast OpenAPI document), e.g. "
                        "--compare ceiling,prism; prints a side-by-side table with ratios")
    p.add_argument("--prism", metavar="PATH",
                   help="the prism executable (default: $BENCH_PRISM, node_modules/.bin/prism, "
                        "or prism on PATH)")
    p.add_argument("--json", action="store_true", help="also print one JSON summary line")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = sorted(set(scenarios) - set(SCENARIOS) - set(EXTRA_SCENARIOS))
    if unknown or not scenarios:
        print(f"bench: unknown scenario(s) {unknown}; choose from "
              f"{SCENARIOS + EXTRA_SCENARIOS}", file=sys.stderr)
        return 2
    try:
        args.compare = compare.parse_targets(args.compare)
    except ValueError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    if args.profile is not None and shutil.which("py-spy") is None:
        print("bench: --profile needs py-spy on PATH (pip install py-spy)", file=sys.stderr)
        return 2
    if args.profile is not None and args.url and args.server_pid is None:
        print("bench: --profile with --url needs --server-pid", file=sys.stderr)
        return 2
    if args.tool == "wrk" and shutil.which("wrk") is None:
        print("bench: --tool wrk needs wrk on PATH", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="sandbox-bench-"))
    try:
        return _run(args, scenarios, workdir)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def external_server(url: str, pid: int | None) -> Iterator[Server]:
    rest = url.split("://", 1)[-1].rstrip("/")
    host, _, port = rest.partition(":")
    server = Server(host, int(port or 80), external_pid=pid)
    if not health_ok(server.host, server.port):
        raise BenchError(f"{url}/_sandbox/health does not answer 200")
    yield server


def _run(args: argparse.Namespace, scenarios: list[str], workdir: Path) -> int:
    machine = machine_info()
    key_header = "Basic " + base64.b64encode(f":{args.key}".encode()).decode()
    context = external_server(args.url, args.server_pid) if args.url else started_server(
        args.server_cmd, args.server_arg, workdir, args.startup_timeout)
    with ExitStack() as running:
        server = running.enter_context(context)
        print(f"machine: {machine['cpus']} CPUs ({machine['cpu_model']}), "
              f"load average {machine['loadavg']}, Python {machine['python']}")
        if server.command:
            print(f"server: {shlex.join(server.command)}")
        if server.startup_s is not None:
            mark = "ok" if server.startup_s <= STARTUP_TARGET_S else "above target"
            print(f"start-up: health answered 200 after {server.startup_s:.3f} s "
                  f"(target <= {STARTUP_TARGET_S} s: {mark})")
        api = Maast(server.host, server.port, args.key)
        prepared = prepare(api, args.invoices, scenarios)
        print(f"prepared {len(prepared.detail_ids) + len(prepared.payment_ids)} invoices over "
              f"HTTP in {prepared.seconds:.1f} s; {args.connections} connections, "
              f"{args.duration:g} s per scenario after {args.warmup:g} s warm-up, "
              f"generator: {args.tool}")
        others = start_others(args, running, api, prepared, scenarios, key_header, workdir)
        measured: dict[str, list[dict[str, Any]]] = {compare.BASELINE: []}
        measured.update((target, []) for target in others)
        # Scenario by scenario, every server in turn: on a shared machine the figures set
        # against each other are minutes apart at most.
        for name in scenarios:
            measured[compare.BASELINE].append(
                run_scenario(name, args, server, key_header, prepared, api, workdir))
            for target, (other, wanted) in others.items():
                if name in wanted:
                    measured[target].append(
                        run_scenario(name, args, other, key_header, prepared, None, workdir))
        api.close()
    for target, rows in measured.items():
        print(f"\n{target}:")
        print_table(rows)
    if len(measured) > 1:
        print()
        print("\n".join(compare.comparison(measured)))
    if args.json:
        summary = {
            "machine": machine, "server_cmd": server.command, "startup_s": server.startup_s,
            "connections": args.connections, "duration_s": args.duration,
            "tool": args.tool, "scenarios": json_scenarios(measured[compare.BASELINE]),
            "compare": {target: json_scenarios(rows) for target, rows in measured.items()
                        if target != compare.BASELINE},
        }
        print(json.dumps(summary))
    return 0


def json_scenarios(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["scenario"]: {k: r.get(k) for k in (
        "rps", "p50_ms", "p90_ms", "p99_ms", "max_ms", "errors", "requests",
        "server_cores", "loadgen_cores", "other_cores", "machine_cores_busy",
        "rps_per_server_core", "loadavg_1m_before", "check", "loop")} for r in results}


def start_others(args: argparse.Namespace, running: ExitStack, api: Maast, prepared: Prepared,
                 scenarios: list[str], key_header: str,
                 workdir: Path) -> dict[str, tuple[Server, list[str]]]:
    """The `--compare` servers, started, checked and kept running in `running`: each with the
    scenarios it serves."""
    others: dict[str, tuple[Server, list[str]]] = {}
    if "ceiling" in args.compare:
        # health too: the ceiling answers it to say it is up
        answers = capture(api, prepared, list(dict.fromkeys([*scenarios, "health"])))
        responses = workdir / "ceiling.json"
        responses.write_text(json.dumps(answers))
        expected = {k: base64.b64decode(v["body_b64"]) for k, v in answers.items()}
        server = running.enter_context(launched(
            lambda port: compare.ceiling_command(port, responses), workdir,
            args.startup_timeout, name="ceiling"))
        checked("ceiling", server, scenarios, prepared, key_header, expected)
        others["ceiling"] = (server, scenarios)
    wanted = [s for s in scenarios if s in compare.PRISM_SCENARIOS]
    if "prism" in args.compare and wanted:
        binary = compare.find_prism(args.prism, ROOT)
        if binary is None:
            print("prism: not found; skipped (npm install --prefix DIR @stoplight/prism-cli, "
                  "then --prism DIR/node_modules/.bin/prism)", file=sys.stderr)
            return others
        document = workdir / "maast-openapi.json"
        served = json.loads(api.raw("GET", "/_sandbox/openapi/maast.json")[2])
        document.write_text(json.dumps(compare.rooted_document(served)))
        try:  # without Prism the other figures still stand
            with ExitStack() as attempt:
                server = attempt.enter_context(launched(
                    lambda port: compare.prism_command(binary, port, document), workdir,
                    args.startup_timeout, name="prism", ready=answers_http))
                checked("prism", server, wanted, prepared, key_header, None)
                running.push(attempt.pop_all())
            others["prism"] = (server, wanted)
        except BenchError as exc:
            print(f"prism: skipped: {exc}", file=sys.stderr)
    return others


def checked(name: str, server: Server, scenarios: list[str], prepared: Prepared,
            key_header: str, expected: dict[str, bytes] | None) -> None:
    """One request per scenario answers 2xx (and, given `expected`, those exact bytes)."""
    print(f"{name}: {shlex.join(server.command)} (ready after {server.startup_s:.3f} s)")
    for scenario in scenarios:
        status, body = probe(server, key_header, scenario, scenario_requests(scenario, prepared))
        if not 200 <= status < 300:
            raise BenchError(f"{name} answers {scenario} with {status}: {body[:300]!r}")
        if expected is not None and body != expected[scenario]:
            raise BenchError(f"{name} answers {scenario} with other bytes than the sandbox")


if __name__ == "__main__":
    raise SystemExit(main())
