"""Legacy import speed: ``crvs import --rejects`` (the batch path) beside the per-row path of
commit c83789a (the session's start), on SQLite and PostgreSQL, with the duplicate check.

    .venv/bin/python bench/import_speed.py [--rows 20000] [--existing 5000]
        [--baseline-rows 1000] [--backends sqlite,postgresql] [--compare ROWS]

The register comes from ``bench/gen_register.py`` (given names and family names from small
pools, mothers with several children, twins and triplets, one child in seven registered again
with spelling changes, typos, swapped dates...), turned into the import's columns: most rows
registered within a year of the birth, one in ten only declared. The legacy irregularities of
issue 13 are written in: 639 registered children without given names yet (kept), 40 births dated
in the future and one mother aged 9 (refused, as ``--rejects`` writes them).

For each backend a fresh database holds the demo country and ``--existing`` records imported
before (untimed), so that the timed import is matched against a register, not an empty table.
Then, each on a database prepared the same way:

* the batch import of the next ``--rows`` rows (``keep_going``, as ``--rejects`` does), timed
  in this process;
* the baseline: the import service of commit c83789a (``git archive`` into a temporary
  directory, run in a subprocess), on the first ``--baseline-rows`` of the same rows (it runs at
  some 16 rows a second: the whole file would take twenty minutes).

Both are timed from the first row read to the commit. With ``--compare ROWS`` nothing is timed:
ROWS generated rows are imported by both paths (a third of them first, by the batch path, as the
register) and what they stored is compared: statuses, registration numbers, suspected pairs and
their probabilities. It prints rows/s of each, their ratio,
what was kept, flagged and refused, and checks the audit chain after the batch import.
PostgreSQL comes from CRVS_BENCH_POSTGRES_URL (default: the local test server).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.gen_register import generate  # noqa: E402
from bench.pg import DEFAULT_PG, FAST_HASHING, fresh_database  # noqa: E402
from registry.db import make_engine  # noqa: E402
from registry.domain import EventType  # noqa: E402
from registry.migrations import alembic_config  # noqa: E402
from registry.models import DuplicateCandidate, Record, RecordVersion  # noqa: E402
from registry.schemas.records import load_legacy  # noqa: E402
from registry.services import audit, demo, imports  # noqa: E402

BASELINE_COMMIT = "c83789a"
COLUMNS = [
    "child.given_names",
    "child.family_name",
    "child.sex",
    "child.date_of_birth",
    "child.type_of_birth",
    "place.type",
    "place.facility_code",
    "mother.given_names",
    "mother.family_name",
    "mother.date_of_birth",
    "date_of_registration",
]
#: The demo country's health facilities, one list per generated district (D01..D12).
FACILITIES = ["F111", "F112", "F121", "F131", "F211", "F221", "F231"]
TODAY = date(2026, 12, 5)


def register_rows(
    count: int, unnamed: int, future: int, seed: int = 13
) -> tuple[list[list[str]], list[list[str]]]:
    """``count`` rows of a generated register for the import, and the irregular ones.

    Returns the rows in the register's order (the first ones go in before the timed import).
    """
    rng = random.Random(seed)
    rows: list[list[str]] = []
    for person in generate(count, seed).rows:
        born = date.fromisoformat(person["date_of_birth"])
        mother_given, _, mother_family = person["mother_name"].partition(" ")
        district = int(person["district"][1:])
        registered = min(born + timedelta(days=rng.randint(1, 300)), TODAY)
        rows.append(
            [
                person["given_name"],
                person["family_name"],
                "male" if person["sex"] == "M" else "female",
                born.isoformat(),
                person["type_of_birth"],
                "health_facility",
                FACILITIES[district % len(FACILITIES)],
                mother_given,
                mother_family or person["family_name"],
                person["mother_date_of_birth"],
                "" if rng.random() < 0.1 else registered.isoformat(),
            ]
        )
    chosen = rng.sample(range(len(rows)), unnamed + future + 1)
    for i in chosen[:unnamed]:
        rows[i][0] = ""
        rows[i][10] = rows[i][10] or rows[i][3]  # registered before being named
    for i in chosen[unnamed : unnamed + future]:
        rows[i][3] = (TODAY + timedelta(days=rng.randint(1, 200))).isoformat()
        rows[i][10] = ""
    young = chosen[-1]
    rows[young][9] = (
        date.fromisoformat(rows[young][3]) - timedelta(days=9 * 365 + 100)
    ).isoformat()
    return rows, [rows[i] for i in chosen]


def as_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


def fresh(backend: str, admin: str, tmp: Path, name: str) -> str:
    """A migrated database holding the demo country."""
    if backend == "postgresql":
        return fresh_database(admin, name, demo_country=True)
    url = f"sqlite:///{tmp / (name + '.sqlite3')}"
    engine = make_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(url, conn), "head")
    with Session(engine) as session:
        demo.load_country(session, FAST_HASHING, TODAY.year)
        session.commit()
    engine.dispose()
    return url


def batch_import(url: str, body: str) -> tuple[float, float, imports.ImportSummary]:
    """Seconds of wall-clock and of this process's CPU, and the summary."""
    engine = make_engine(url)
    with Session(engine) as session:
        started, cpu = time.perf_counter(), time.process_time()
        summary = imports.import_records(
            session,
            FAST_HASHING,
            EventType.BIRTH,
            io.StringIO(body),
            keep_going=True,
            load=load_legacy,
        )
        session.commit()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    return elapsed, cpu, summary


BASELINE_SCRIPT = """
import io, json, sys, time
from sqlalchemy.orm import Session
import registry
from registry.db import make_engine
from registry.domain import EventType
from registry.services import imports
from registry.services.settings import RegistrySettings
assert registry.__file__.startswith(sys.argv[2]), registry.__file__
body = sys.stdin.read()
engine = make_engine(sys.argv[1])
with Session(engine) as session:
    started = time.perf_counter()
    summary = imports.import_records(
        session, RegistrySettings(argon2_time_cost=1, argon2_memory_cost=1024),
        EventType.BIRTH, io.StringIO(body), keep_going=True,
    )
    session.commit()
    elapsed = time.perf_counter() - started
print(json.dumps({"elapsed": elapsed, "registered": summary.registered,
    "declared": summary.declared, "flagged": summary.flagged,
    "refused": len(summary.rejected)}))
"""


def baseline_import(url: str, body: str, code: Path) -> dict[str, float]:
    """The import service of ``BASELINE_COMMIT``, run from its own tree in a subprocess."""
    env = dict(os.environ, PYTHONPATH=str(code), CRVS_ENV="testing")
    done = subprocess.run(
        [sys.executable, "-c", BASELINE_SCRIPT, url, str(code)],
        input=body,
        capture_output=True,
        text=True,
        cwd=code,
        env=env,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def checked(url: str) -> tuple[bool, int]:
    """Whether the audit chain verifies, and how many suspected duplicates are stored."""
    engine = make_engine(url)
    with Session(engine) as session:
        ok = audit.verify(session).ok
        pairs = session.scalar(select(func.count()).select_from(DuplicateCandidate)) or 0
    engine.dispose()
    return ok, pairs


def outcome(url: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """What an import decided, independent of record ids: each record's values, status and
    registration number, and each suspected pair (newer, older, probability)."""
    engine = make_engine(url)
    with Session(engine) as session:
        current = (RecordVersion.record_id == Record.id) & (RecordVersion.version == Record.version)
        named = {
            record.id: (
                version.given_names or "",
                version.family_name or "",
                str(version.date_of_birth),
                version.mother_given_names or "",
            )
            for record, version in session.execute(
                select(Record, RecordVersion).join(RecordVersion, current)
            )
        }
        statuses = sorted(
            (named[r.id], r.status, r.registration_number or "")
            for r in session.scalars(select(Record))
        )
        pairs = sorted(
            (named[c.record_id], named[c.existing_id], round(c.probability, 6))
            for c in session.scalars(select(DuplicateCandidate))
        )
    engine.dispose()
    return statuses, pairs


def compare(backend: str, admin: str, tmp: Path, code: Path, rows: list[list[str]]) -> None:
    """Import the same rows by both paths (after the same earlier rows) and compare."""
    before, timed = rows[: len(rows) // 3], rows[len(rows) // 3 :]
    found = []
    for name in ("baseline", "batch"):
        url = fresh(backend, admin, tmp, f"crvs_bench_compare_{name}")
        batch_import(url, as_csv(before))
        if name == "baseline":
            baseline_import(url, as_csv(timed), code)
        else:
            batch_import(url, as_csv(timed))
        found.append(outcome(url))
    (old_status, old_pairs), (new_status, new_pairs) = found
    print(
        f"-- {backend}: {len(timed)} rows after {len(before)}, by both paths: statuses and "
        f"numbers {'the same' if old_status == new_status else 'DIFFER'} "
        f"({len(new_status)} records); suspected pairs "
        f"{'the same' if old_pairs == new_pairs else 'DIFFER'} "
        f"({len(old_pairs)} by the baseline, {len(new_pairs)} by the batch)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--existing", type=int, default=5_000)
    parser.add_argument("--baseline-rows", type=int, default=1_000)
    parser.add_argument("--unnamed", type=int, default=639)
    parser.add_argument("--future", type=int, default=40)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--compare",
        type=int,
        default=0,
        metavar="ROWS",
        help="instead of timing, import ROWS generated rows by both paths and compare what "
        "they stored (statuses, numbers, suspected pairs)",
    )
    args = parser.parse_args()
    admin = os.environ.get("CRVS_BENCH_POSTGRES_URL", DEFAULT_PG)
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        code = tmp / "baseline"
        code.mkdir()
        archive = subprocess.run(
            ["git", "archive", BASELINE_COMMIT], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
        if args.compare:
            rows, _ = register_rows(args.compare, args.compare // 50, args.compare // 500)
            for backend in args.backends.split(","):
                compare(backend, admin, tmp, code, rows)
            return
        every, _ = register_rows(args.existing + args.rows, args.unnamed, args.future)
        before, timed = every[: args.existing], every[args.existing :]
        print(
            f"register: {args.existing} rows already imported, then {len(timed)} timed "
            f"({args.unnamed} unnamed and {args.future} future rows, 1 mother aged 9, over the "
            f"whole file); baseline: commit {BASELINE_COMMIT} on the first {args.baseline_rows}"
        )
        for backend in args.backends.split(","):
            url = fresh(backend, admin, tmp, "crvs_bench_import_base")
            batch_import(url, as_csv(before))
            old = baseline_import(url, as_csv(timed[: args.baseline_rows]), code)
            url = fresh(backend, admin, tmp, "crvs_bench_import")
            batch_import(url, as_csv(before))
            load = os.getloadavg()[0]
            elapsed, cpu, summary = batch_import(url, as_csv(timed))
            ok, pairs = checked(url)
            n, b = len(timed), args.baseline_rows
            print(f"-- {backend} (load average {load:.1f} on {os.cpu_count()} cores at the start)")
            print(
                f"batch import (this branch):     {n / elapsed:8.0f} rows/s  ({n} rows in "
                f"{elapsed:.1f} s, {cpu:.1f} s of it this process's CPU; {summary.registered} "
                f"registered, {summary.declared} declared, {summary.flagged} flagged, "
                f"{len(summary.rejected)} refused; audit chain "
                f"{'verifies' if ok else 'BROKEN'}; {pairs} suspected pairs stored in all)"
            )
            print(
                f"baseline per-row ({BASELINE_COMMIT}):   {b / old['elapsed']:8.0f} rows/s  "
                f"({b} rows in {old['elapsed']:.1f} s; {int(old['registered'])} registered, "
                f"{int(old['declared'])} declared, {int(old['flagged'])} flagged, "
                f"{int(old['refused'])} refused)"
            )
            print(f"speed-up:                       {old['elapsed'] / b * n / elapsed:8.1f} x")


if __name__ == "__main__":
    main()
