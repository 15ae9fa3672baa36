"""The duplicate check before saving, beside the declaration it precedes (PostgreSQL).

    python bench/duplicate_check.py [--records 100000] [--queries 300]

A fresh PostgreSQL database is migrated, the demo country loaded and ``--records`` registered
births bulk-loaded with their blocking keys (``bench/dedupe_lookup.load``). Then, in process
through the Flask test client as the demo clerk, ``--queries`` declaration bodies (half late
re-registrations of children in the register with spelling variants and day/month swaps, half
new children) are each sent twice, in turn: to ``POST /api/v1/births/check`` (ours: validation,
resolution, look-up, scoring, the answer and the audit of what it shows) and to
``POST /api/v1/births`` (the baseline: the declaration itself, which validates, stores, looks up
and scores the same way). It prints p50/p95/p99 of both and their ratio: the cost the warning
before saving adds to a declaration. PostgreSQL comes from CRVS_BENCH_POSTGRES_URL (default: the
local test server).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.dedupe_lookup import load, person, variant  # noqa: E402
from bench.pg import DEFAULT_PG, FAST_HASHING, fresh_database, made_up_name  # noqa: E402
from config import TestingConfig  # noqa: E402
from registry import create_app  # noqa: E402
from registry.db import make_engine  # noqa: E402
from registry.models import Area, Facility, User  # noqa: E402
from registry.services import users  # noqa: E402

DB_NAME = "crvs_bench_check"


def body(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "child": {
            "given_names": p["given_names"],
            "family_name": p["family_name"],
            "sex": p["sex"],
            "date_of_birth": p["born"].isoformat(),
        },
        "place": {"type": "health_facility", "facility_code": "F111"},
        "mother": {"given_names": p["mother_given"], "family_name": p["mother_family"]},
    }


def prepare(admin_url: str, count: int, rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    given = sorted({made_up_name(rng, rng.randint(2, 3)) for _ in range(6000)})
    family = sorted({made_up_name(rng, rng.randint(2, 4)) for _ in range(20000)})
    people = [person(rng, given, family, date.today()) for _ in range(count)]
    url = fresh_database(admin_url, DB_NAME, demo_country=True)
    engine = make_engine(url)
    with Session(engine) as session:
        d11 = session.scalars(select(Area).where(Area.code == "D11")).one()
        f111 = session.scalars(select(Facility).where(Facility.code == "F111")).one()
        o11 = session.scalars(select(Facility).where(Facility.code == "O11")).one()
        clerk = session.scalars(select(User).where(User.username == "clerk")).one()
        ids = (d11.id, d11.path, f111.id, o11.id, clerk.id)
    started = time.perf_counter()
    load(engine, people, ids)
    print(f"loaded {count:,} registered births with keys in {time.perf_counter() - started:.0f} s")
    engine.dispose()
    return url, people


def timed(url: str, people: list[dict[str, Any]], queries: int, rng: random.Random) -> Any:
    config = TestingConfig()
    config.DATABASE_URL = url
    app = create_app(config)
    engine = make_engine(url)
    with Session(engine) as session:
        clerk = session.scalars(select(User).where(User.username == "clerk")).one()
        token, _ = users.issue_token(session, FAST_HASHING, clerk)
        session.commit()
    engine.dispose()
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    times: dict[str, list[float]] = {"check": [], "declare": []}
    shown = 0
    for i in range(queries + 20):
        given = [p["given_names"] for p in rng.sample(people, 50)]
        p = (
            variant(rng, rng.choice(people))
            if i % 2 == 0
            else person(rng, given, [made_up_name(rng, 3)], date.today())
        )
        payload = body(p)
        t0 = time.perf_counter()
        checked = client.post("/api/v1/births/check", json=payload, headers=headers)
        check = time.perf_counter() - t0
        t0 = time.perf_counter()
        declared = client.post("/api/v1/births", json=payload, headers=headers)
        declare = time.perf_counter() - t0
        assert checked.status_code == 200, checked.json
        assert declared.status_code == 201, declared.json
        if i >= 20:  # the first few warm the caches
            times["check"].append(check)
            times["declare"].append(declare)
            shown += bool(checked.json and checked.json["candidates"])
    print(f"{shown} of {queries} checks found a record (about half are re-registrations)")
    return times


def summary(values: list[float]) -> dict[str, float]:
    q = statistics.quantiles(values, n=100)
    return {"p50_ms": q[49] * 1000, "p95_ms": q[94] * 1000, "p99_ms": q[98] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(12)
    admin_url = os.environ.get("CRVS_BENCH_POSTGRES_URL", DEFAULT_PG)
    url, people = prepare(admin_url, args.records, rng)
    times = timed(url, people, args.queries, rng)
    check, declare = summary(times["check"]), summary(times["declare"])
    print(f"\n{args.records:,} births registered, {args.queries} bodies, in process (test client)")
    print(f"{'':<46}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name, row in (("ours: POST /births/check", check), ("baseline: POST /births", declare)):
        print(f"{name:<46}{row['p50_ms']:>9.2f}{row['p95_ms']:>9.2f}{row['p99_ms']:>9.2f}")
    print(f"check / declaration at p50: {check['p50_ms'] / declare['p50_ms']:.2f}")
    print(json.dumps({"check": check, "declare": declare}))


if __name__ == "__main__":
    main()
