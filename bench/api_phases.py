"""Where a request's CPU goes: the registry beside its floor, under gunicorn, by part.

    python bench/api_phases.py [--seconds 20] [--workers 4] [--concurrency 8] [--preload 20000]

Needs py-spy (``pip install -e '.[bench]'``) and the right to read another process's memory
(root, or ``kernel.yama.ptrace_scope`` 0). It serves the registry (``wsgi:app``) and its floor
(bench/floor_app.py: the registry's own statements without its Python) with the same gunicorn
settings as bench/api_throughput.py, one after the other, and drives each with declare +
register for ``--seconds`` while py-spy samples every worker 250 times a second. Samples
waiting on PostgreSQL or on the client's socket are left out: what is left is the workers' own
work, given in milliseconds per request, by part, for both apps, and beside it the server CPU
per request that /proc counted over the same time (the two agree to within the kernel's share).
py-spy's sampling takes CPU from the same cores, so these are not bench/api_throughput.py's CPU
figures (its ratio is the one that counts); they say where the registry's extra CPU goes.

A sample counts for the first part, from the top of this list, whose frame is on its stack (the
work the registry does that the floor does not) and otherwise for the package of its innermost
frame (the machinery both share, and the ORM, which only the registry uses).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench.api_throughput as throughput  # noqa: E402

#: The registry's own work, by a frame that does it (first match on the stack wins).
WORK = (
    ("scoring candidates", ("score_candidates (dedupe", "_as_notification_pairs (")),
    ("blocking keys", ("keys_for (",)),
    ("candidates as match records", ("_person_values (",)),
    ("input check (JSON, NUL, numbers)", ("_check_input (",)),
    ("declaration load (marshmallow)", ("Schema._do_load (",)),
    ("answer dump (marshmallow)", ("Schema.dump (",)),
    ("answer document", ("document (registry/services",)),
    (
        "audit: events and hashes",
        ("content_hash (", "event_hash (", "record (registry/services/audit"),
    ),
)
#: The rest, by the package of the innermost frame.
PACKAGES = (
    ("ORM (sessions, objects, loading)", "sqlalchemy/orm/"),
    ("SQLAlchemy Core", "sqlalchemy/"),
    ("psycopg", "psycopg/"),
    ("flask-smorest, webargs, limiter", ("flask_smorest/", "webargs/", "flask_limiter/")),
    ("Flask", "flask/"),
    ("werkzeug", "werkzeug/"),
    ("gunicorn", "gunicorn/"),
    ("registry code", "registry/"),
    ("floor code", "bench/floor_app"),
    ("dedupe code", "dedupe/"),
)
#: Frames of a worker that waits and does not work.
WAITING = ("Connection.wait (psycopg", "close_graceful (gunicorn", "socket.accept (", "select (")
SAMPLE_RATE = 250


def part_of(frames: list[str]) -> str | None:
    """The part a sample counts for, or None for a sample of a waiting worker."""
    if any(w in frame for frame in frames for w in WAITING):
        return None
    for name, marks in WORK:
        if any(mark in frame for frame in frames for mark in marks):
            return name
    leaf = frames[-1]
    for name, marks in PACKAGES:
        if any(mark in leaf for mark in ((marks,) if isinstance(marks, str) else marks)):
            return name
    return "other (standard library)"


def sample(
    mode: str, target: str, url: str, tokens: dict[str, str], args: argparse.Namespace
) -> tuple[Counter[str], int, dict[str, float]]:
    """Samples by part, the requests served and /proc's CPU seconds (server, PostgreSQL and
    the driver), for one app."""
    port = throughput.free_port()
    server = throughput.start_gunicorn(target, url, port, args.workers)
    out = Path(tempfile.mkdtemp()) / f"{mode}.txt"
    try:
        throughput.run_driver(port, mode, throughput.WARM_UP_SECONDS, args.concurrency,
                              server.pid, tokens, f"{mode}/warm-up")  # fmt: skip
        spy = subprocess.Popen(
            [args.py_spy, "record", "--pid", str(server.pid), "--subprocesses", "--nonblocking",
             "--rate", str(SAMPLE_RATE), "--duration", str(args.seconds), "--format", "raw",
             "-o", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        done = throughput.run_driver(port, mode, args.seconds, args.concurrency, server.pid,
                                     tokens, f"{mode}/sampled")  # fmt: skip
        _, err = spy.communicate(timeout=args.seconds + 60)
        if spy.returncode != 0:
            raise SystemExit(f"py-spy failed: {err.decode().strip()[-300:]}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    parts: Counter[str] = Counter()
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue  # a stack py-spy could not finish reading
        part = part_of(stack.split(";"))
        if part is not None:
            parts[part] += int(count)
    shutil.rmtree(out.parent)
    seconds = {part: done[f"{part}_cpu_s"] for part in ("server", "postgres", "driver")}
    return parts, len(done["latencies"]), seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--preload", type=int, default=20_000)
    beside = Path(sys.executable).with_name("py-spy")  # installed in this environment
    parser.add_argument("--py-spy", default=str(beside) if beside.exists() else "py-spy")
    args = parser.parse_args()
    if shutil.which(args.py_spy) is None:
        raise SystemExit("py-spy is not installed: pip install -e '.[bench]'")
    from bench.pg import DEFAULT_PG

    throughput.DB_NAME = "crvs_bench_phases"
    admin_url = os.environ.get("CRVS_BENCH_POSTGRES_URL", DEFAULT_PG)
    url, tokens = throughput.prepare_database(admin_url, args.preload)
    ms: dict[str, dict[str, float]] = {}
    cpu: dict[str, dict[str, float]] = {}
    for mode, target in throughput.RUNS[:2]:  # the registry and its floor
        parts, requests, seconds = sample(mode, target, url, tokens, args)
        per_sample = 1000 / SAMPLE_RATE / requests  # ms of one sample, per request
        ms[mode] = {part: count * per_sample for part, count in parts.items()}
        cpu[mode] = {part: value * 1000 / requests for part, value in seconds.items()}
    names = [name for name, _ in WORK] + [name for name, _ in PACKAGES]
    names += ["other (standard library)"]
    print(f"\nWorker CPU per request by part, ms ({args.seconds} s each, gunicorn --workers "
          f"{args.workers}, {args.concurrency} client threads, py-spy at {SAMPLE_RATE} Hz)")  # fmt: skip
    print(f"{'':<36}{'registry':>10}{'floor':>10}{'registry only':>15}")
    for name in names:
        r, f = ms["registry"].get(name, 0.0), ms["floor"].get(name, 0.0)
        if r or f:
            print(f"{name:<36}{r:>10.3f}{f:>10.3f}{r - f:>15.3f}")
    total = {mode: sum(parts.values()) for mode, parts in ms.items()}
    print(f"{'sampled, all parts':<36}{total['registry']:>10.3f}{total['floor']:>10.3f}"
          f"{total['registry'] - total['floor']:>15.3f}")  # fmt: skip
    for part in ("server", "postgres", "driver"):
        r, f = cpu["registry"][part], cpu["floor"][part]
        print(f"{part + ' CPU (/proc)':<36}{r:>10.3f}{f:>10.3f}{r - f:>15.3f}")
    print(json.dumps({"ms": ms, "cpu_ms": cpu}, sort_keys=True))


if __name__ == "__main__":
    main()
