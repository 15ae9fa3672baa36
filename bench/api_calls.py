"""Python calls and SQL statements per declare + register pair: the registry beside its floor.

    python bench/api_calls.py [--pairs 50]

The same PostgreSQL database as bench/api_throughput.py (its own name, ``crvs_bench_calls``;
2,000 births preloaded), the same request bodies, driven in process through each app's test
client. It counts every Python and C function call made while the pairs run (``sys.setprofile``)
and every statement sent to the database, for the registry (``wsgi:app``'s ``create_app``) and
for its floor (bench/floor_app.py: the registry's own statements, without its Python) in the
same run. Unlike requests per second on a shared machine, both counts are the same from one run
to the next: they show what a change to the hot path saves before a throughput run can.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench.api_throughput as throughput  # noqa: E402

WARM_UP = 20


def count(app: Any, engine: Any, tokens: dict[str, str], pairs: int) -> tuple[float, float]:
    """Python calls and statements per declare + register pair."""
    from sqlalchemy import event

    client = app.test_client()
    rng = random.Random(1)

    def pair() -> None:
        body = throughput.birth_body(rng, date.today())
        clerk = {"Authorization": f"Bearer {tokens['clerk']}"}
        declared = client.post("/api/v1/births", json=body, headers=clerk)
        assert declared.status_code == 201, declared.get_data(as_text=True)
        registrar = {"Authorization": f"Bearer {tokens['registrar']}"}
        registered = client.post(
            f"/api/v1/births/{declared.get_json()['id']}/register", json={}, headers=registrar
        )
        assert registered.status_code == 200, registered.get_data(as_text=True)

    for _ in range(WARM_UP):
        pair()
    calls = statements = 0

    def on_call(frame: Any, what: str, arg: Any) -> None:
        nonlocal calls
        if what in ("call", "c_call"):
            calls += 1

    def on_statement(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine, "before_cursor_execute", on_statement)
    sys.setprofile(on_call)
    try:
        for _ in range(pairs):
            pair()
    finally:
        sys.setprofile(None)
        event.remove(engine, "before_cursor_execute", on_statement)
    return calls / pairs, statements / pairs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=50)
    args = parser.parse_args()
    from bench.pg import DEFAULT_PG

    throughput.DB_NAME = "crvs_bench_calls"
    admin_url = os.environ.get("CRVS_BENCH_POSTGRES_URL", DEFAULT_PG)
    url, tokens = throughput.prepare_database(admin_url, 2000)
    os.environ.update({"DATABASE_URL": url, "CRVS_ENV": "production", "SECRET_KEY": "bench"})
    from bench import floor_app
    from registry import create_app
    from registry.extensions import database

    registry = create_app()
    results = {
        "registry": count(registry, database(registry).engine, tokens, args.pairs),
        "floor": count(floor_app.app, floor_app.engine, tokens, args.pairs),
    }
    print(f"\nPer declare + register pair ({args.pairs} pairs after {WARM_UP} to warm up)")
    print(f"{'':<12}{'Python calls':>14}{'statements':>12}")
    for name, (calls, statements) in results.items():
        print(f"{name:<12}{calls:>14,.0f}{statements:>12.0f}")
    ratio = results["registry"][0] / results["floor"][0]
    print(f"registry / floor calls: {ratio:.2f}")


if __name__ == "__main__":
    main()
