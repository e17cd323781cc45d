"""Summarise a py-spy raw (collapsed-stack) profile: where the server's CPU went, by layer.

    python bench/stacks.py detail.txt [--top 25] [--focus build_router]

`bench/run.py --profile DIR` records one such file per scenario (py-spy on PATH needed) and
prints this summary. Layers are decided by the file of the innermost frame (self time), so the
`app` share is the project's own code and everything else is framework or library cost.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*?) \((?P<path>.*?):\d+\)$")

# (layer, start of the frame's file path as py-spy prints it); first match wins.
LAYERS = (
    ("sqlalchemy orm", "sqlalchemy/orm/"),
    ("sqlalchemy core/engine", "sqlalchemy/"),
    ("sqlmodel", "sqlmodel/"),
    ("pydantic", "pydantic"),
    ("fastapi routing/deps", "fastapi/"),
    ("starlette", "starlette/"),
    ("uvicorn/httptools protocol", "uvicorn/"),
    ("json (stdlib)", "json/"),
    ("asyncio/uvloop loop", "asyncio/"),
    ("app (project code)", "app/"),
)
SQLITE_CALLS = ("do_execute", "do_rollback", "do_commit", "do_begin", "do_close")


def short(path: str) -> str:
    path = re.sub(r".*site-packages/", "", path)
    path = re.sub(r".*/lib/python3\.\d+/", "", path)
    return re.sub(r"^.*?/(app/)", r"\1", path)


def layer_of(frame: str) -> str:
    match = FRAME.match(frame)
    if not match:
        return "other"
    path, func = short(match["path"]), match["func"]
    # The C sqlite3 module has no Python frames: time in it shows as these SQLAlchemy calls.
    if path.startswith("sqlalchemy/engine/default.py") and func.endswith(SQLITE_CALLS):
        return "sqlite3 (C, via DefaultDialect.do_*)"
    for name, prefix in LAYERS:
        if path.startswith(prefix):
            return name
    return "other stdlib"


def label(frame: str) -> str:
    match = FRAME.match(frame)
    return f"{match['func']} [{short(match['path'])}]" if match else frame


def summarise(path: Path, top: int = 25, focus: str | None = None) -> str:
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    layers: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if focus and not any(focus in f for f in frames):
            continue
        n = int(count)
        total += n
        layers[layer_of(frames[-1])] += n
        leaves[label(frames[-1])] += n
        for name in {label(f) for f in frames}:
            inclusive[name] += n
    if not total:
        return f"{path}: no samples"
    out = [f"{path.name}: {total} samples" + (f" (stacks through {focus!r})" if focus else ""),
           "  self time by layer:"]
    out += [f"    {100 * n / total:5.1f}%  {name}" for name, n in layers.most_common()]
    out.append("  self time, hottest functions:")
    out += [f"    {100 * n / total:5.1f}%  {name}" for name, n in leaves.most_common(top // 2)]
    out.append("  inclusive time, project functions and hot library calls:")
    shown = 0
    for name, n in inclusive.most_common():
        if shown >= top:
            break
        if n == total:  # frames every sample passes through (runpy, uvicorn.run ...)
            continue
        out.append(f"    {100 * n / total:5.1f}%  {name}")
        shown += 1
    return "\n".join(out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--focus", help="only stacks with a frame containing this text")
    args = p.parse_args()
    for file in args.files:
        print(summarise(file, args.top, args.focus))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
