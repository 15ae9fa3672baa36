"""Idempotency-Key expiry: what the purge costs the write path that stores a response.

    python bench/idempotency_purge.py [--expired 200000] [--live 50000] [--stores 2000]

On a fresh PostgreSQL database (CRVS_BENCH_POSTGRES_URL, default the local test server) it loads
``--expired`` stored responses older than the time to live and ``--live`` young ones (bodies of
2 KB, like a declaration's response), then times, each in its own committed transaction:

- baseline: ``idempotency.store`` when no purge is due (one INSERT: the path as before expiry);
- purge: ``store`` when a purge is due (the INSERT and one bounded DELETE of up to 1,000 rows);
- look-up: ``idempotency.find`` of a live key (the replay check on every keyed POST).

A purge runs at most once every five minutes per process, so its cost is spread over every
keyed write in those five minutes; the bench prints that amortised cost beside the baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.pg import DEFAULT_PG, FAST_HASHING, fresh_database  # noqa: E402
from registry.models import IdempotencyKey, User  # noqa: E402
from registry.services import idempotency, users  # noqa: E402

TTL = 24 * 3600
BODY = b"x" * 2048


def load(url: str, expired: int, live: int) -> int:
    engine = create_engine(url)
    with Session(engine) as session:
        users.create_user(
            session, FAST_HASHING, username="bench", password="bench-only-passphrase-x",
            role="clerk", area_code="DL",
        )  # fmt: skip
        session.commit()
        user_id = session.scalars(select(User.id).where(User.username == "bench")).one()
        now = datetime.now(UTC)
        for start, count, age in ((0, expired, TTL + 3600), (expired, live, 60)):
            for chunk in range(start, start + count, 5000):
                rows = [
                    {"user_id": user_id, "key": f"k{n}", "request_hash": "0" * 64,
                     "status_code": 201, "content_type": "application/json", "location": None,
                     "body": BODY, "created_at": now - timedelta(seconds=age)}
                    for n in range(chunk, min(chunk + 5000, start + count))
                ]  # fmt: skip
                session.execute(insert(IdempotencyKey), rows)
            session.commit()
    engine.dispose()
    return user_id


def timed(url: str, user_id: int, stores: int, due: bool, prefix: str) -> list[float]:
    engine = create_engine(url)
    times = []
    with Session(engine) as session:
        for n in range(stores):
            if due:
                idempotency._next_purge = 0.0
            else:
                idempotency._next_purge = time.monotonic() + 3600
            started = time.perf_counter()
            idempotency.store(
                session, user_id=user_id, key=f"{prefix}{n}", request_hash="0" * 64,
                status_code=201, content_type="application/json", location=None, body=BODY,
                ttl_seconds=TTL,
            )  # fmt: skip
            session.commit()
            times.append(time.perf_counter() - started)
    engine.dispose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--expired", type=int, default=200_000)
    parser.add_argument("--live", type=int, default=50_000)
    parser.add_argument("--stores", type=int, default=2000)
    args = parser.parse_args()
    admin_url = os.environ.get("CRVS_BENCH_POSTGRES_URL", DEFAULT_PG)
    url = fresh_database(admin_url, "crvs_bench_idempotency", demo_country=True)
    user_id = load(url, args.expired, args.live)
    purges = max(1, min(args.stores // 10, args.expired // idempotency.PURGE_BATCH))
    # Interleaved slices so that a drift in the machine's speed touches both alike.
    base: list[float] = []
    purge: list[float] = []
    for turn in range(5):
        base += timed(url, user_id, args.stores // 5, False, f"b{turn}-")
        purge += timed(url, user_id, max(1, purges // 5), True, f"p{turn}-")
    engine = create_engine(url)
    with Session(engine) as session:
        looked = []
        for n in range(args.stores):
            started = time.perf_counter()
            idempotency.find(session, user_id, f"k{args.expired + n % args.live}", TTL)
            session.rollback()
            looked.append(time.perf_counter() - started)
        left = session.scalar(select(func.count()).select_from(IdempotencyKey))
    engine.dispose()

    def ms(values: list[float], q: float) -> float:
        return (
            statistics.quantiles(values, n=100)[int(q) - 1] * 1000
            if len(values) > 2
            else values[0] * 1000
        )

    mean_base = statistics.fmean(base) * 1000
    mean_purge = statistics.fmean(purge) * 1000
    print(f"\nIdempotency purge: {args.expired:,} expired + {args.live:,} live rows, 2 KB bodies")
    print(f"{'':<44}{'mean ms':>10}{'p50 ms':>10}{'p99 ms':>10}{'n':>8}")
    for label, values in (
        ("baseline: store, no purge due (before)", base),
        ("store + purge of up to 1,000 expired rows", purge),
        ("find (replay check)", looked),
    ):
        print(f"{label:<44}{statistics.fmean(values) * 1000:>10.3f}{ms(values, 50):>10.3f}"
              f"{ms(values, 99):>10.3f}{len(values):>8}")  # fmt: skip
    extra = mean_purge - mean_base
    for rate in (1, 10, 100):
        per_write = extra / (rate * idempotency.PURGE_EVERY_SECONDS)
        print(f"amortised over {rate} keyed write(s)/s per process: +{per_write * 1000:.2f} µs "
              f"per write ({per_write / mean_base * 100:.3f} % of the baseline store)")  # fmt: skip
    print(f"rows left: {left:,} (each purge removed up to {idempotency.PURGE_BATCH:,})")


if __name__ == "__main__":
    main()
