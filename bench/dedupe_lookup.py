"""Duplicate lookup for one declaration on a register of 1,000,000 births (PostgreSQL).

    python bench/dedupe_lookup.py [--records 1000000] [--queries 300] [--reuse] [--register]

It creates a fresh PostgreSQL database, migrates it, loads the demo country, then bulk-loads
``--records`` registered births with their blocking keys (COPY). For ``--queries`` new
declarations (half of them late re-registrations of children already in the register, with
spelling variants and day/month swaps; half new children) it times the registry's candidate
lookup and scoring (``registry.services.duplicates.score``: indexed key look-up, current versions,
dedupe scoring with explanations), beside the bare indexed key look-up alone (the baseline) in
the same run, and prints p50/p95/p99 of both. Target: p95 under 20 ms. PostgreSQL comes from
CRVS_BENCH_POSTGRES_URL (default: the local test server).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import dedupe  # noqa: E402
from bench.pg import DEFAULT_PG, database_url, fresh_database, made_up_name  # noqa: E402
from dedupe.blocking import Table, rule_keys  # noqa: E402
from registry.db import make_engine  # noqa: E402
from registry.domain import EventType, check_character  # noqa: E402
from registry.models import Area, DedupeKey, Facility, Record, RecordVersion, User  # noqa: E402
from registry.services import duplicates  # noqa: E402

DB_NAME = "crvs_bench_dedupe"


def person(rng: random.Random, given: list[str], family: list[str], today: date) -> dict[str, Any]:
    fam = rng.choice(family)
    return {
        "given_names": rng.choice(given),
        "family_name": fam,
        "sex": rng.choice(["male", "female"]),
        "born": today - timedelta(days=rng.randint(0, 3650)),
        "mother_given": rng.choice(given),
        "mother_family": fam,
    }


def prepare(
    admin_url: str, count: int, rng: random.Random, *, reuse: bool = False
) -> tuple[str, list[dict[str, Any]]]:
    """The register's people (the same seed gives the same people), loaded unless ``reuse``."""
    given = sorted({made_up_name(rng, rng.randint(2, 3)) for _ in range(6000)})
    family = sorted({made_up_name(rng, rng.randint(2, 4)) for _ in range(20000)})
    today = date.today()
    people = [person(rng, given, family, today) for _ in range(count)]
    if reuse:
        return database_url(admin_url, DB_NAME), people
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
    print(
        f"loaded {count:,} registered births with blocking keys in {time.perf_counter() - started:.0f} s"
    )
    engine.dispose()
    return url, people


def load(
    engine: Any,
    people: list[dict[str, Any]],
    ids: tuple[int, str, int, int, int],
    areas: dict[str, tuple[int, str]] | None = None,
) -> None:
    """COPY registered births, their current versions and blocking keys.

    A person born in one of ``areas`` (its ``"area"`` code maps to the area's id and path)
    is registered there; the others in the area of ``ids``.
    """
    default_id, default_path, facility_id, office_id, clerk_id = ids
    areas = areas or {}

    def area_of(p: dict[str, Any]) -> tuple[int, str]:
        return areas.get(p.get("area", ""), (default_id, default_path))

    settings = duplicates.model(EventType.BIRTH).settings
    now = datetime.now(UTC).isoformat()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        chunk = 100_000
        seq = 0
        for start in range(0, len(people), chunk):
            part = people[start : start + chunk]
            record_ids = [str(uuid.uuid4()) for _ in part]
            match = [
                dedupe.Record(rid, {
                    "given_names": p["given_names"], "family_name": p["family_name"],
                    "date_of_birth": p["born"].isoformat(), "sex": p["sex"],
                    "mother": f"{p['mother_given']} {p['mother_family']}",
                    "area": p.get("area", "D11"),
                })
                for rid, p in zip(record_ids, part, strict=True)
            ]  # fmt: skip
            table = Table(match, settings)
            with cursor.copy(
                "COPY records (id, event_type, status, version, area_id, area_path, "
                "registration_number, office_id, registration_date, timeliness, created_by_id, "
                "created_at, updated_at, event_date, sex) FROM STDIN"
            ) as copy:
                for rid, p in zip(record_ids, part, strict=True):
                    seq += 1
                    body = f"O11-B{p['born'].year}X-{seq:07d}"
                    area_id, area_path = area_of(p)
                    copy.write_row((rid, "birth", "registered", 1, area_id, area_path,
                                    f"{body}-{check_character(body)}", office_id, p["born"],
                                    "current", clerk_id, now, now, p["born"], p["sex"]))  # fmt: skip
            with cursor.copy(
                "COPY record_versions (record_id, version, kind, created_at, created_by_id, "
                "facts, event_date, sex, given_names, family_name, place_type, "
                "occurrence_area_id, facility_id, residence_area_id, date_of_birth, "
                "mother_given_names, mother_family_name) FROM STDIN"
            ) as copy:
                for rid, p in zip(record_ids, part, strict=True):
                    area_id = area_of(p)[0]
                    copy.write_row((rid, 1, "declaration", now, clerk_id, "{}", p["born"],
                                    p["sex"], p["given_names"], p["family_name"],
                                    "health_facility", area_id, facility_id, area_id, p["born"],
                                    p["mother_given"], p["mother_family"]))  # fmt: skip
            with cursor.copy("COPY dedupe_keys (record_id, key) FROM STDIN") as copy:
                for index in range(len(settings.blocking)):
                    codes, strings = rule_keys(table, index)
                    for row, code in enumerate(codes.tolist()):
                        if code >= 0:
                            copy.write_row((record_ids[row], f"birth|{strings[code]}"))
            raw.commit()
            print(f"  {start + len(part):,} loaded", flush=True)
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def variant(rng: random.Random, p: dict[str, Any]) -> dict[str, Any]:
    q = dict(p)
    roll = rng.random()
    if roll < 0.4 and q["given_names"]:
        g = q["given_names"]
        i = rng.randrange(len(g))
        q["given_names"] = g[:i] + rng.choice("aeiou") + g[i + 1 :]
    elif roll < 0.7 and q["born"].day <= 12 and q["born"].day != q["born"].month:
        q["born"] = date(q["born"].year, q["born"].day, q["born"].month)
    return q


def timed_queries(
    url: str, people: list[dict[str, Any]], queries: int, rng: random.Random
) -> dict[str, list[float]]:
    engine = make_engine(url)
    times: dict[str, list[float]] = {"registry": [], "baseline": []}
    settings = duplicates.model(EventType.BIRTH).settings
    found = 0
    with Session(engine) as session:
        area = session.scalars(select(Area).where(Area.code == "D11")).one()
        for i in range(queries + 20):
            given = [p["given_names"] for p in rng.sample(people, 50) if p["given_names"]]
            p = (
                variant(rng, rng.choice(people))
                if i % 2 == 0
                else person(rng, given, [made_up_name(rng, 3)], date.today())
            )
            record = Record(id=str(uuid.uuid4()), event_type=EventType.BIRTH, status="declared", version=1,
                            area_id=area.id, area_path=area.path)  # fmt: skip
            version = RecordVersion(
                record_id=record.id, version=1, event_date=p["born"], sex=p["sex"],
                given_names=p["given_names"], family_name=p["family_name"], date_of_birth=p["born"],
                mother_given_names=p["mother_given"], mother_family_name=p["mother_family"],
            )  # fmt: skip
            match = duplicates.as_match_record(record, version, "D11", as_type=EventType.BIRTH)
            keys = duplicates.keys_for(EventType.BIRTH, match)
            t0 = time.perf_counter()
            session.execute(
                select(DedupeKey.record_id).where(DedupeKey.key.in_(keys)).distinct().limit(200)
            ).all()
            baseline = time.perf_counter() - t0
            t0 = time.perf_counter()
            hits = duplicates.score(
                session, record, version, "D11", EventType.BIRTH,
                threshold=duplicates.REVIEW_THRESHOLD,
            )  # fmt: skip
            elapsed = time.perf_counter() - t0
            if i >= 20:  # the first few warm the caches
                times["baseline"].append(baseline)
                times["registry"].append(elapsed)
                found += bool(hits)
            session.expunge_all()
            session.rollback()
        _ = settings
    engine.dispose()
    print(
        f"{found} of {queries} declarations had a suspected duplicate above the review threshold "
        f"(about half are re-registrations by construction)"
    )
    return times


def summary(values: list[float]) -> dict[str, float]:
    q = statistics.quantiles(values, n=100)
    return {"p50_ms": q[49] * 1000, "p95_ms": q[94] * 1000, "p99_ms": q[98] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the loaded database from a previous run"
    )
    parser.add_argument(
        "--register",
        action="store_true",
        help="the births of bench/gen_register.py (small name pools, re-registrations) in the "
        "database of bench/dedupe_registry_scan.py, instead of made-up unique names",
    )
    args = parser.parse_args()
    rng = random.Random(11)
    admin_url = os.environ.get("CRVS_BENCH_POSTGRES_URL", DEFAULT_PG)
    if args.register:
        # The scan benchmark imports this module's loader: import it only when asked.
        from bench import dedupe_registry_scan as scan_bench
        from bench.gen_register import generate

        people = scan_bench.people_of(generate(args.records, 1))
        url = scan_bench.prepare(admin_url, people, args.reuse)
    else:
        url, people = prepare(admin_url, args.records, rng, reuse=args.reuse)
    times = timed_queries(url, people, args.queries, rng)
    registry, baseline = summary(times["registry"]), summary(times["baseline"])
    print(
        f"\nDuplicate lookup for one declaration, {args.records:,} births registered, {args.queries} declarations"
    )
    print(f"{'':<44}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    print(
        f"{'registry: key look-up + versions + scoring':<44}{registry['p50_ms']:>9.2f}{registry['p95_ms']:>9.2f}{registry['p99_ms']:>9.2f}"
    )
    print(
        f"{'baseline: bare indexed key look-up':<44}{baseline['p50_ms']:>9.2f}{baseline['p95_ms']:>9.2f}{baseline['p99_ms']:>9.2f}"
    )
    print(f"target: registry p95 < 20 ms -> {'met' if registry['p95_ms'] < 20 else 'NOT met'}")
    print(json.dumps({"registry": registry, "baseline": baseline}))


if __name__ == "__main__":
    main()
