"""Benchmark: the coverage table (district x month x sex x band, one year) on 5,000,000 events.

Creates a fresh PostgreSQL database (``crvs_bench_stats``), migrates it with Alembic, loads the
demo country and bulk-loads registered births and deaths server-side (``INSERT ... SELECT`` over
``generate_series``, the fastest bulk path: no rows cross the wire; district, date, sex and
registration delay vary independently of the event type and of each other), then times
``registry.services.stats.compute(..., "coverage")`` beside the bare GROUP BY on the same table
in the same run, taking turns. The coverage table counts births and deaths in one scan of
``records`` (grouping by event type as well), so the baseline (``BARE``) is the bare one-table
query that count stands on, also one scan, with the same month expression:

    SELECT event_type, area_id, month(event_date), sex, timeliness, count(*) FROM records
    WHERE event_type IN ('birth', 'death') AND status = 'registered'
      AND registration_date <= :cutoff AND event_date BETWEEN :start AND :end
    GROUP BY 1, 2, 3, 4, 5

For reference it also times the baseline as it was before the single scan (``PER_TYPE``: one
query per event type, month by ``EXTRACT``), and once the same GROUP BY over ``records JOIN
record_versions`` (the current version), as the counting was before ``records`` kept the
current version's event date and sex. The load average is printed before and after timing.

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
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

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
       CASE WHEN g % 97 = 0 THEN 'unknown' WHEN (g / 5) % 2 = 0 THEN 'male' ELSE 'female' END,
       :user, now(), now()
FROM generate_series(1, :n) AS g
-- type (g % 6), district, date, sex and delay each follow a different step of g, so that
-- every type has every district, month, sex and timeliness band (a delay of 400 days after
-- a December event falls past the cut-off: those events are left out of the counts)
JOIN LATERAL (SELECT (ARRAY[2, 10, 25, 40, 90, 200, 400])[1 + (g / 7) % 7] AS days) lag ON true
JOIN (SELECT id, path, row_number() OVER (ORDER BY code) - 1 AS k FROM areas
      WHERE level = 'district') d ON d.k = (g / 11) % 6
"""

LOAD_VERSIONS = """
INSERT INTO record_versions (id, record_id, version, kind, created_at, created_by_id, facts,
                             event_date, sex, place_type, occurrence_area_id, age_years)
SELECT g, lpad(g::text, 36, '0'), 1, 'declaration', now(), :user, '{}'::jsonb,
       DATE :start + (g % 365),
       CASE WHEN g % 97 = 0 THEN 'unknown' WHEN (g / 5) % 2 = 0 THEN 'male' ELSE 'female' END,
       'health_facility', d.id, (g % 90)
FROM generate_series(1, :n) AS g
JOIN (SELECT id, row_number() OVER (ORDER BY code) - 1 AS k FROM areas
      WHERE level = 'district') d ON d.k = (g / 11) % 6
"""

# date_part, as registry.services.stats.query.month_of compiles for PostgreSQL (EXTRACT makes a
# numeric per row, which is slower).
BARE = """
SELECT event_type, area_id, CAST(date_part('month', event_date) AS INTEGER) AS m, sex,
       timeliness, count(*)
FROM records
WHERE event_type IN ('birth', 'death') AND status = 'registered' AND registration_date <= :cutoff
  AND event_date >= :start AND event_date <= :end
GROUP BY 1, 2, 3, 4, 5
"""

PER_TYPE = """
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


def timed(fns: list[Callable[[], object]], repeat: int) -> list[float]:
    """The median time of each function; they take turns, so a change of load on the shared
    machine falls on all of them alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, spent in zip(fns, times, strict=True):
            started = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - started)
    return [statistics.median(spent) for spent in times]


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
    params = {"cutoff": cutoff, "start": f"{YEAR}-01-01", "end": f"{YEAR}-12-31"}
    request = StatsRequest(
        "coverage", YEAR, period="month", level="district", cutoff=date.fromisoformat(cutoff)
    )
    with Session(engine) as session:

        def ours() -> list[stats.Table]:
            result = stats.compute(session, stats.system_actor(), request)
            assert result.tables
            return result.tables

        def bare() -> list[tuple[Any, ...]]:
            rows = session.execute(text(BARE), params).all()
            assert rows
            return sorted((tuple(row) for row in rows), key=repr)

        def per_type(sql: str) -> list[tuple[Any, ...]]:
            counts: list[tuple[Any, ...]] = []
            for event_type in ("birth", "death"):
                rows = session.execute(text(sql), {"type": event_type, **params}).all()
                assert rows
                counts += [(event_type, *row) for row in rows]
            return sorted(counts, key=repr)

        tables = ours()
        counted = bare()  # warm the cache for both
        for table in tables:  # the table's grand totals are the bare query's
            event_type = "birth" if table.name == "coverage_births" else "death"
            grand_total = next(
                row["registered"]
                for row in table.rows
                if all(row[d] == "total" for d in ("area_code", "period", "sex", "timeliness"))
            )
            assert grand_total == sum(row[-1] for row in counted if row[0] == event_type)
        load_before = os.getloadavg()
        t_bare, t_ours, t_per_type = timed([bare, ours, lambda: per_type(PER_TYPE)], args.repeat)
        load_after = os.getloadavg()
        started = time.perf_counter()
        joined = per_type(JOINED)
        t_joined = time.perf_counter() - started
        assert joined == counted, "records' copies differ from the current versions"
        assert per_type(PER_TYPE) == counted
        total = session.execute(text("SELECT count(*) FROM records")).scalar_one()
        counted_total = sum(row[-1] for row in counted)
    engine.dispose()
    print(f"events: {total:,} registered (one year, 6 districts), {counted_total:,} by the cut-off")
    print(f"load average (1, 5, 15 min) before timing: {' '.join(f'{x:.2f}' for x in load_before)}")
    print(f"bare GROUP BY on records, one scan:  {t_bare:.3f} s (median of {args.repeat})")
    print(f"coverage table (stats.compute):      {t_ours:.3f} s (median of {args.repeat})")
    print(f"ratio: {t_ours / t_bare:.2f}x")
    print(f"load average (1, 5, 15 min) after timing:  {' '.join(f'{x:.2f}' for x in load_after)}")
    print(
        f"for reference, the bare GROUP BY per event type (two scans, EXTRACT): {t_per_type:.3f} s"
    )
    print(f"for reference, the GROUP BY over records JOIN record_versions: {t_joined:.3f} s (once)")
    if not args.keep and not args.reuse:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
