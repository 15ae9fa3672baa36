"""Benchmark: the coverage table (district x month x sex x band, one year) on 5,000,000 events.

Creates a fresh PostgreSQL database (``crvs_bench_stats``), migrates it with Alembic, loads the
demo country and bulk-loads registered births and deaths server-side (``INSERT ... SELECT`` over
``generate_series``, the fastest bulk path: no rows cross the wire), then times
``registry.services.stats.compute(..., "coverage")`` beside the bare GROUP BY on the same table
in the same run. The baseline (``BARE``) is the one-table query the coverage count stands on:

    SELECT area_id, month(event_date), sex, timeliness, count(*) FROM records
    WHERE event_type = :type AND status = 'registered' AND registration_date <= :cutoff
      AND event_date BETWEEN :start AND :end GROUP BY 1, 2, 3, 4

run for births and for deaths. For reference it also times, once, the same GROUP BY over
``records JOIN record_versions`` (the current version), as the counting was before ``records``
kept the current version's event date and sex.

    CRVS_BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/stats.py [--events 5000000] [--repeat 5] [--keep | --reuse]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pg import fresh_database  # noqa: E402
from registry.services import stats  # noqa: E402
from registry.services.areas import load_areas, load_denominators, load_facilities  # noqa: E402
from registry.services.settings import RegistrySettings  # noqa: E402
from registry.services.stats.model import StatsRequest  # noqa: E402
from registry.services.users import create_user  # noqa: E402

NAME = "crvs_bench_stats"
YEAR = 2025
DEMO = ROOT / "registry" / "demo"

LOAD_RECORDS = """
INSERT INTO records (id, event_type, status, version, area_id, area_path, registration_date,
                     timeliness, event_date, sex, created_by_id, created_at, updated_at)
SELECT lpad(g::text, 36, '0'),
       CASE WHEN g % 6 = 0 THEN 'death' ELSE 'birth' END,
       'registered', 1, d.id, d.path,
       DATE :start + (g % 365) + lag.days,
       CASE WHEN lag.days <= 30 THEN 'current' WHEN lag.days <= 365 THEN 'late' ELSE 'delayed' END,
       -- the current version's event date and sex, as the services copy them (LOAD_VERSIONS)
       DATE :start + (g % 365),
       CASE WHEN g % 97 = 0 THEN 'unknown' WHEN g % 2 = 0 THEN 'male' ELSE 'female' END,
       :user, now(), now()
FROM generate_series(1, :n) AS g
JOIN LATERAL (SELECT (ARRAY[2, 10, 25, 40, 90, 200, 400])[1 + (g * 7) % 7] AS days) lag ON true
JOIN (SELECT id, path, row_number() OVER (ORDER BY code) - 1 AS k FROM areas
      WHERE level = 'district') d ON d.k = g % 6
"""

LOAD_VERSIONS = """
INSERT INTO record_versions (id, record_id, version, kind, created_at, created_by_id, facts,
                             event_date, sex, place_type, occurrence_area_id, age_years)
SELECT g, lpad(g::text, 36, '0'), 1, 'declaration', now(), :user, '{}'::jsonb,
       DATE :start + (g % 365),
       CASE WHEN g % 97 = 0 THEN 'unknown' WHEN g % 2 = 0 THEN 'male' ELSE 'female' END,
       'health_facility', d.id, (g % 90)
FROM generate_series(1, :n) AS g
JOIN (SELECT id, row_number() OVER (ORDER BY code) - 1 AS k FROM areas
      WHERE level = 'district') d ON d.k = g % 6
"""

BARE = """
SELECT area_id, CAST(EXTRACT(month FROM event_date) AS INTEGER) AS m, sex, timeliness, count(*)
FROM records
WHERE event_type = :type AND status = 'registered' AND registration_date <= :cutoff
  AND event_date >= :start AND event_date <= :end
GROUP BY 1, 2, 3, 4
"""

JOINED = """
SELECT r.area_id, CAST(EXTRACT(month FROM v.event_date) AS INTEGER) AS m, v.sex, r.timeliness,
       count(*)
FROM records r JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
WHERE r.event_type = :type AND r.status = 'registered' AND r.registration_date <= :cutoff
  AND v.event_date >= :start AND v.event_date <= :end
GROUP BY 1, 2, 3, 4
"""


def load(url: str, n: int) -> None:
    engine = create_engine(url)
    with Session(engine) as session:
        load_areas(session, (DEMO / "areas.csv").open(encoding="utf-8"))
        load_facilities(session, (DEMO / "facilities.csv").open(encoding="utf-8"))
        rows = (DEMO / "population.csv").read_text(encoding="utf-8").splitlines()[1:]
        denominators = (
            "area_code,year,population_male,population_female,crude_birth_rate,crude_death_rate\n"
        )
        denominators += "".join(
            f"{c},{YEAR},{m},{f},{b},{d}\n" for c, m, f, b, d, _ in (r.split(",") for r in rows)
        )
        load_denominators(session, io.StringIO(denominators))
        settings = RegistrySettings(argon2_time_cost=1, argon2_memory_cost=1024)
        user = create_user(
            session, settings, username="bench", password="bench-password-1",
            role="statistician", area_code="DL", facility_code=None, full_name="Bench",
        )  # fmt: skip
        session.commit()
        user_id = user.id
    params = {"n": n, "user": user_id, "start": f"{YEAR}-01-01"}
    with engine.begin() as conn:
        started = time.perf_counter()
        conn.execute(text(LOAD_RECORDS.replace(":start", f"'{YEAR}-01-01'")), params)
        conn.execute(text(LOAD_VERSIONS.replace(":start", f"'{YEAR}-01-01'")), params)
        print(f"loaded {n:,} registered events in {time.perf_counter() - started:.1f} s")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE records"))
        conn.execute(text("VACUUM ANALYZE record_versions"))
    engine.dispose()


def timed(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="Keep the loaded database.")
    parser.add_argument("--reuse", action="store_true", help="Reuse a loaded database.")
    args = parser.parse_args()
    admin_url = os.environ.get(
        "CRVS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    if args.reuse:
        url = make_url(admin_url).set(database=NAME).render_as_string(hide_password=False)
    else:
        url = fresh_database(admin_url, NAME)
        load(url, args.events)
    engine = create_engine(url)
    cutoff = f"{YEAR + 1}-12-31"
    request = StatsRequest(
        "coverage", YEAR, period="month", level="district", cutoff=date.fromisoformat(cutoff)
    )
    with Session(engine) as session:

        def ours() -> None:
            result = stats.compute(session, stats.system_actor(), request)
            assert result.tables

        def grouped(sql: str) -> list[tuple[object, ...]]:
            counts: list[tuple[object, ...]] = []
            for event_type in ("birth", "death"):
                rows = session.execute(
                    text(sql),
                    {"type": event_type, "cutoff": cutoff, "start": f"{YEAR}-01-01",
                     "end": f"{YEAR}-12-31"},
                ).all()  # fmt: skip
                assert rows
                counts += [(event_type, *row) for row in rows]
            return sorted(counts, key=repr)

        def bare() -> None:
            grouped(BARE)

        ours()
        bare()  # warm the cache for both
        t_bare = timed(bare, args.repeat)
        t_ours = timed(ours, args.repeat)
        started = time.perf_counter()
        joined = grouped(JOINED)
        t_joined = time.perf_counter() - started
        assert joined == grouped(BARE), "records' copies differ from the current versions"
        total = session.execute(text("SELECT count(*) FROM records")).scalar_one()
    engine.dispose()
    print(f"events: {total:,} registered (one year, 6 districts)")
    print(f"bare GROUP BY on records (births + deaths): {t_bare:.3f} s (median of {args.repeat})")
    print(f"coverage table (stats.compute):             {t_ours:.3f} s (median of {args.repeat})")
    print(f"ratio: {t_ours / t_bare:.2f}x")
    print(f"for reference, the GROUP BY over records JOIN record_versions: {t_joined:.3f} s (once)")
    if not args.keep and not args.reuse:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
