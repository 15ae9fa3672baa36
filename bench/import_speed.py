"""Legacy import speed: ``crvs import --rejects`` beside a bare bulk INSERT of the same rows.

    python bench/import_speed.py [--rows 20000] [--unnamed 639] [--future 40]

A generated legacy birth register of ``--rows`` rows (``--unnamed`` registered children without
given names yet, ``--future`` rows dated in the future, one mother aged 9 at the birth, and every
hundredth child written twice so the duplicate check finds pairs) is imported into a fresh
PostgreSQL database holding the demo country, through the import service with its validation,
numbering, audit and duplicate check, keeping the good rows (``keep_going``, as ``--rejects``
does). In the same run the baseline inserts the same rows, as text columns, into a bare table in
one executemany (the floor of getting the rows into PostgreSQL at all). It prints rows/s of each
and their ratio. PostgreSQL comes from CRVS_BENCH_POSTGRES_URL (default: the local test server).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.pg import DEFAULT_PG, FAST_HASHING, fresh_database, made_up_name  # noqa: E402
from registry.domain import EventType  # noqa: E402
from registry.services import imports  # noqa: E402

COLUMNS = [
    "child.given_names",
    "child.family_name",
    "child.sex",
    "child.date_of_birth",
    "place.type",
    "place.facility_code",
    "mother.given_names",
    "mother.family_name",
    "mother.date_of_birth",
    "date_of_registration",
]
FACILITIES = ["F111", "F112", "F121"]


def register_rows(count: int, unnamed: int, future: int, seed: int = 13) -> list[list[str]]:
    """The legacy register: mostly registered births of the last twenty years."""
    rng = random.Random(seed)
    today = date.today()
    rows: list[list[str]] = []
    while len(rows) < count:
        born = today - timedelta(days=rng.randint(40, 20 * 365))
        family = made_up_name(rng, 3)
        mother_born = born - timedelta(days=rng.randint(18 * 365, 40 * 365))
        registered = born + timedelta(days=rng.randint(1, 300))
        row = [
            made_up_name(rng),
            family,
            rng.choice(["female", "male"]),
            born.isoformat(),
            "health_facility",
            rng.choice(FACILITIES),
            made_up_name(rng),
            family,
            mother_born.isoformat(),
            min(registered, today).isoformat(),
        ]
        rows.append(row)
        if len(rows) % 100 == 0 and len(rows) < count:
            rows.append(list(row))  # the same child written twice
    for i in rng.sample(range(count), unnamed + future + 1):
        if unnamed:
            rows[i][0] = ""
            unnamed -= 1
        elif future:
            rows[i][3] = (today + timedelta(days=rng.randint(1, 200))).isoformat()
            rows[i][9] = ""
            future -= 1
        else:
            born = date.fromisoformat(rows[i][3])
            rows[i][8] = (born - timedelta(days=9 * 365 + 100)).isoformat()  # a mother aged 9
    return rows


def as_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


def time_import(url: str, body: str) -> tuple[float, imports.ImportSummary]:
    engine = create_engine(url)
    with Session(engine) as session:
        started = time.perf_counter()
        summary = imports.import_records(
            session, FAST_HASHING, EventType.BIRTH, io.StringIO(body), keep_going=True
        )
        session.commit()
        elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, summary


def time_bulk_insert(url: str, rows: list[list[str]]) -> float:
    engine = create_engine(url)
    names = [f"c{i}" for i in range(len(COLUMNS))]
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE bench_rows ({', '.join(n + ' text' for n in names)})"))
    insert = text(
        f"INSERT INTO bench_rows ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})"
    )
    params = [dict(zip(names, row, strict=True)) for row in rows]
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert, params)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--unnamed", type=int, default=639)
    parser.add_argument("--future", type=int, default=40)
    args = parser.parse_args()
    admin = os.environ.get("CRVS_BENCH_POSTGRES_URL", DEFAULT_PG)
    rows = register_rows(args.rows, args.unnamed, args.future)
    body = as_csv(rows)
    url = fresh_database(admin, "crvs_bench_import", demo_country=True)
    bulk = time_bulk_insert(url, rows)
    elapsed, summary = time_import(url, body)
    n = len(rows)
    print(f"rows in the register:           {n} ({args.unnamed} unnamed, {args.future} future)")
    print(
        f"import (keep going):            {n / elapsed:10.0f} rows/s  ({elapsed:.1f} s; "
        f"{summary.registered} registered, {summary.declared} declared, "
        f"{summary.flagged} flagged, {len(summary.rejected)} refused)"
    )
    print(f"baseline: bare bulk INSERT:     {n / bulk:10.0f} rows/s  ({bulk:.2f} s)")
    print(f"import / baseline:              {bulk / elapsed:10.3f}")


if __name__ == "__main__":
    main()
