"""API throughput: the registry under gunicorn on PostgreSQL beside a bare Flask baseline.

    python bench/api_throughput.py [--seconds 30] [--rounds 3] [--workers 4] [--concurrency 8]
                                   [--preload 100000]

It creates a fresh PostgreSQL database, migrates it, loads the demo country and bulk-loads
``--preload`` registered births with COPY, then starts gunicorn and drives declare + register
over HTTP from a second process for a bounded time. In the same run it starts the baseline
(bench/baseline_app.py: one equivalent row and one audit row per request) with the same gunicorn
settings and drives it the same way, and between the two the floor (bench/floor_app.py: the
registry's own SQL statements for declare + register, without its Python). It prints requests/s,
p50/p99 latency and CPU per request for each, and the ratios. PostgreSQL comes from CRVS_BENCH_POSTGRES_URL (default: the local test server), the database's name from CRVS_BENCH_DB.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pg import made_up_name  # noqa: E402

#: The bench's own database (CRVS_BENCH_DB: another name, when two checkouts run in turn).
DB_NAME = os.environ.get("CRVS_BENCH_DB", "crvs_bench_api")


def birth_body(rng: random.Random, day: date) -> dict[str, Any]:
    """A declaration of a new child: distinct names, so none waits for duplicate review."""
    family = made_up_name(rng, 4)
    return {
        "child": {
            "given_names": made_up_name(rng),
            "family_name": family,
            "sex": rng.choice(["male", "female"]),
            "date_of_birth": day.isoformat(),
            "birth_weight_grams": rng.randint(2000, 4500),
            "type_of_birth": "single",
        },
        "place": {"type": "health_facility", "facility_code": "F111"},
        "attendant": "nurse_midwife",
        "mother": {
            "given_names": made_up_name(rng),
            "family_name": family,
            "date_of_birth": "1994-04-12",
            "residence_area_code": "D11",
            "marital_status": "married",
        },
        "informant": {"relationship": "mother"},
    }


# -- setup ----------------------------------------------------------------------------------------


def prepare_database(admin_url: str, preload: int) -> tuple[str, dict[str, str]]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from bench.pg import FAST_HASHING, fresh_database
    from registry.db import make_engine
    from registry.models import Area, Facility, User
    from registry.services import users

    url = fresh_database(admin_url, DB_NAME, demo_country=True)
    engine = make_engine(url)
    with Session(engine) as session:
        d11 = session.scalars(select(Area).where(Area.code == "D11")).one()
        f111 = session.scalars(select(Facility).where(Facility.code == "F111")).one()
        o11 = session.scalars(select(Facility).where(Facility.code == "O11")).one()
        clerk = session.scalars(select(User).where(User.username == "clerk")).one()
        registrar = session.scalars(select(User).where(User.username == "registrar")).one()
        ids = (d11.id, d11.path, f111.id, o11.id, clerk.id, registrar.id)
        # Bearer tokens issued here (signing in hashes a password with argon2, slow on purpose):
        # the registry and the floor both look them up on every request.
        tokens = {
            "clerk": users.issue_token(session, FAST_HASHING, clerk)[0],
            "registrar": users.issue_token(session, FAST_HASHING, registrar)[0],
        }
        session.commit()
    started = time.perf_counter()
    bulk_load(engine, preload, ids)
    print(
        f"preloaded {preload:,} registered births with COPY in {time.perf_counter() - started:.1f} s"
    )
    engine.dispose()
    return url, tokens


def bulk_load(engine: Any, count: int, ids: tuple[int, str, int, int, int, int]) -> None:
    from registry.domain import EventType, check_character

    area_id, area_path, facility_id, office_id, clerk_id, registrar_id = ids
    area_code = "D11"
    rng = random.Random(7)
    today = date.today()
    now = datetime.now(UTC).isoformat()
    counters: dict[int, int] = {}
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        records_copy = (
            "COPY records (id, event_type, status, version, area_id, area_path, "
            "registration_number, office_id, registration_date, timeliness, registered_by_id, "
            "created_by_id, created_at, updated_at, event_date, sex) FROM STDIN"
        )
        versions_copy = (
            "COPY record_versions (record_id, version, kind, created_at, created_by_id, facts, "
            "event_date, sex, given_names, family_name, place_type, occurrence_area_id, "
            "facility_id, residence_area_id, date_of_birth, age_years, age_days, "
            "mother_given_names, mother_family_name, mother_date_of_birth, mother_age_years, "
            "birth_weight_grams, type_of_birth, attendant) FROM STDIN"
        )
        rows = []
        for _ in range(count):
            born = today - timedelta(days=rng.randint(0, 700))
            registered = min(today, born + timedelta(days=rng.randint(0, 40)))
            seq = counters.get(registered.year, 0) + 1
            counters[registered.year] = seq
            body = f"O11-B{registered.year}-{seq:06d}"
            number = f"{body}-{check_character(body)}"
            facts = birth_body(rng, born)
            rows.append((str(uuid.uuid4()), born, registered, number, facts))
        with cursor.copy(records_copy) as copy:
            for record_id, born, registered, number, facts in rows:
                band = "current" if (registered - born).days <= 30 else "late"
                copy.write_row((record_id, EventType.BIRTH.value, "registered", 1, area_id,
                                area_path, number, office_id, registered, band, registrar_id,
                                clerk_id, now, now, born, facts["child"]["sex"]))  # fmt: skip
        with cursor.copy(versions_copy) as copy:
            for record_id, born, _registered, _number, facts in rows:
                child, mother = facts["child"], facts["mother"]
                copy.write_row((record_id, 1, "declaration", now, clerk_id, json.dumps(facts),
                                born, child["sex"], child["given_names"], child["family_name"],
                                "health_facility", area_id, facility_id, area_id, born, 0, 0,
                                mother["given_names"], mother["family_name"],
                                mother["date_of_birth"], 30, child["birth_weight_grams"],
                                "single", "nurse_midwife"))  # fmt: skip
        with cursor.copy("COPY dedupe_keys (record_id, key) FROM STDIN") as copy:
            for record_id, key in blocking_keys(rows, area_code):
                copy.write_row((record_id, key))
        with cursor.copy(
            "COPY registration_counters (office_id, event_type, year, last_value) FROM STDIN"
        ) as copy:
            for year, last in counters.items():
                copy.write_row((office_id, "birth", year, last))
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def blocking_keys(rows: list[Any], area_code: str) -> list[tuple[str, str]]:
    """The preloaded births' duplicate-blocking keys, as the registry stores them, so every
    declaration is looked up and scored against the whole register (computed in one batch)."""
    import dedupe
    from dedupe.blocking import rule_keys
    from dedupe.records import Table
    from registry.domain import EventType
    from registry.services.duplicates import _values, model

    records = [
        dedupe.Record(record_id, _values(
            EventType.BIRTH, EventType.BIRTH,
            given=facts["child"]["given_names"], family=facts["child"]["family_name"],
            born=born, sex=facts["child"]["sex"], area_code=area_code,
            mother=f"{facts['mother']['given_names']} {facts['mother']['family_name']}",
            event_date=born,
        ))
        for record_id, born, _registered, _number, facts in rows
    ]  # fmt: skip
    settings = model(EventType.BIRTH).settings
    table = Table(records, settings)
    keys: set[tuple[str, str]] = set()
    for index in range(len(settings.blocking)):
        codes, strings = rule_keys(table, index)
        for record, code in zip(records, codes.tolist(), strict=True):
            if code >= 0:
                keys.add((record.id, f"birth|{strings[code]}"))
    return sorted(keys)


# -- serving --------------------------------------------------------------------------------------

#: Served one after the other with the same gunicorn settings: the registry, its SQL alone (the
#: floor: bench/floor_app.py, the same statements with no validation, scoring, ORM or schemas) and
#: the bare baseline.
RUNS = (
    ("registry", "wsgi:app"),
    ("floor", "bench.floor_app:app"),
    ("baseline", "bench.baseline_app:app"),
)
WARM_UP_SECONDS = 3
LABELS = {
    "registry": "registry (declare+register)",
    "floor": "floor (its SQL alone)",
    "baseline": "baseline (insert+audit)",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(target: str, url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "CRVS_ENV": "production",
        "SECRET_KEY": "bench-secret",
        "DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", target],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn {target} did not start")


# -- the driver (a second process) ----------------------------------------------------------------


def request(
    port: int, method: str, path: str, body: Any, headers: dict[str, str]
) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(
            method, path, body=payload, headers={"Content-Type": "application/json"} | headers
        )
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None
    finally:
        conn.close()


def drive(
    port: int, mode: str, seconds: float, concurrency: int, tokens: dict[str, str], name: str
) -> dict[str, Any]:
    """Load one server for ``seconds``; the bodies are new people, drawn from ``name``."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    cpu_started = time.process_time()

    def worker(n: int) -> None:
        nonlocal errors
        rng = random.Random(f"{name}/{n}")  # no slice declares another's people
        mine: list[float] = []
        failed = 0
        while time.perf_counter() < deadline:
            body = birth_body(rng, date.today() - timedelta(days=rng.randint(0, 20)))
            if mode in ("registry", "floor"):
                t0 = time.perf_counter()
                status, doc = request(port, "POST", "/api/v1/births", body,
                                      {"Authorization": f"Bearer {tokens['clerk']}"})  # fmt: skip
                mine.append(time.perf_counter() - t0)
                if status != 201:
                    failed += 1
                    continue
                t0 = time.perf_counter()
                status, _ = request(port, "POST", f"/api/v1/births/{doc['id']}/register", {},
                                    {"Authorization": f"Bearer {tokens['registrar']}"})  # fmt: skip
                mine.append(time.perf_counter() - t0)
                failed += status != 200
            else:
                t0 = time.perf_counter()
                status, _ = request(port, "POST", "/births", body, {})
                mine.append(time.perf_counter() - t0)
                failed += status != 201
        with lock:
            latencies.extend(mine)
            errors += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "driver_cpu_s": time.process_time() - cpu_started,
        "elapsed_s": time.perf_counter() - started,
        "errors": errors,
        "latencies": latencies,
    }


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU time (user + system) so far of the server's processes and of PostgreSQL's, from /proc.

    PostgreSQL's count covers every backend on the machine: run nothing else beside the bench.
    """
    tick = os.sysconf("SC_CLK_TCK")
    totals = {"server": 0.0, "postgres": 0.0}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read()
        except OSError:
            continue  # the process ended meanwhile
        used = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        if int(entry) == server_pid or int(fields[1]) == server_pid:  # the master or a worker
            totals["server"] += used
        elif command.startswith(b"postgres"):
            totals["postgres"] += used
    return totals


def run_driver(
    port: int,
    mode: str,
    seconds: float,
    concurrency: int,
    server_pid: int,
    tokens: dict[str, str],
    name: str,
) -> dict[str, Any]:
    """One slice of load on one server, from a second process, with the CPU it cost."""
    before = cpu_seconds(server_pid)
    done = subprocess.run(
        [sys.executable, __file__, "drive", "--port", str(port), "--mode", mode,
         "--seconds", str(seconds), "--concurrency", str(concurrency),
         "--tokens", json.dumps(tokens), "--name", name],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    after = cpu_seconds(server_pid)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    for part in ("server", "postgres"):
        result[f"{part}_cpu_s"] = after[part] - before[part]
    return result


def summary(slices: list[dict[str, Any]]) -> dict[str, Any]:
    """Requests/s, latency quantiles and CPU milliseconds per request over a server's slices."""
    latencies = sorted(x for one in slices for x in one["latencies"])
    requests = len(latencies)
    q = statistics.quantiles(latencies, n=100) if requests > 1 else [0.0] * 99
    out: dict[str, Any] = {
        "requests": requests,
        "errors": sum(one["errors"] for one in slices),
        "rps": requests / sum(one["elapsed_s"] for one in slices),
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
    }
    for part in ("server", "postgres", "driver"):
        out[f"{part}_cpu_ms"] = sum(one[f"{part}_cpu_s"] for one in slices) * 1000 / requests
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command")
    d = sub.add_parser("drive")
    d.add_argument("--port", type=int, required=True)
    d.add_argument("--mode", choices=["registry", "floor", "baseline"], required=True)
    d.add_argument("--tokens", type=json.loads, default={})
    d.add_argument("--name", default="drive")
    d.add_argument("--seconds", type=float, default=30)
    d.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--preload", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="slices of load per server")
    args = parser.parse_args()
    if args.command == "drive":
        print(json.dumps(drive(args.port, args.mode, args.seconds, args.concurrency, args.tokens,
                               args.name)))  # fmt: skip
        return

    from bench.pg import DEFAULT_PG

    admin_url = os.environ.get("CRVS_BENCH_POSTGRES_URL", DEFAULT_PG)
    url, tokens = prepare_database(admin_url, args.preload)
    from sqlalchemy import create_engine

    from bench.baseline_app import Base

    engine = create_engine(url)
    Base.metadata.create_all(engine)  # the baseline's two tables
    engine.dispose()
    # The three servers run side by side (an idle one costs nothing) and take the load in turns,
    # a slice each per round: a drift in the machine's speed then touches all three alike.
    servers: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
    for mode, target in RUNS:
        port = free_port()
        servers[mode] = (port, start_gunicorn(target, url, port, args.workers))
    slices: dict[str, list[dict[str, Any]]] = {mode: [] for mode in servers}
    try:
        for mode, (port, server) in servers.items():  # warm-up, not counted
            run_driver(port, mode, WARM_UP_SECONDS, args.concurrency, server.pid, tokens,
                       f"{mode}/warm-up")  # fmt: skip
        for turn in range(args.rounds):
            for mode, (port, server) in servers.items():
                slices[mode].append(run_driver(port, mode, args.seconds / args.rounds,
                                               args.concurrency, server.pid, tokens,
                                               f"{mode}/{turn}"))  # fmt: skip
    finally:
        for _, server in servers.values():
            server.terminate()
            server.wait(timeout=30)
    results = {mode: summary(parts) for mode, parts in slices.items()}
    out = io.StringIO()
    print(f"\nAPI throughput, {args.seconds:.0f} s each in {args.rounds} turns, "
          f"gunicorn --workers {args.workers}, "
          f"{args.concurrency} client threads, {args.preload:,} births preloaded", file=out)  # fmt: skip
    print(f"{'':<28}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}", file=out)
    for mode, label in LABELS.items():
        r = results[mode]
        print(
            f"{label:<28}{r['rps']:>12.1f}{r['p50_ms']:>10.1f}{r['p99_ms']:>10.1f}{r['errors']:>8}",
            file=out,
        )
    print("\nCPU ms per request (2 cores shared by all three):", file=out)
    print(f"{'':<28}{'server':>10}{'postgres':>10}{'driver':>10}{'total':>10}", file=out)
    for mode in LABELS:
        r = results[mode]
        parts = [r["server_cpu_ms"], r["postgres_cpu_ms"], r["driver_cpu_ms"]]
        print(f"{mode:<28}" + "".join(f"{x:>10.2f}" for x in [*parts, sum(parts)]), file=out)
    rps = {mode: r["rps"] for mode, r in results.items()}
    print(
        f"ratio registry/baseline: {rps['registry'] / rps['baseline']:.2f} (target >= 0.50); "
        f"registry p99 {results['registry']['p99_ms']:.0f} ms (target < 250 ms)\n"
        f"ratio floor/baseline: {rps['floor'] / rps['baseline']:.2f}; "
        f"registry/floor: {rps['registry'] / rps['floor']:.2f}",
        file=out,
    )
    print(out.getvalue())


if __name__ == "__main__":
    main()
