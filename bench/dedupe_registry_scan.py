"""``crvs dedupe scan`` on a generated register in PostgreSQL, beside dedupe's own command line.

    .venv/bin/python bench/dedupe_registry_scan.py [--births 100000] [--seed 1] [--reuse]

It generates ``--births`` births with ``bench/gen_register.py`` (small name pools, twins,
siblings, late re-registrations with known truth), creates a fresh PostgreSQL database, migrates
it, loads the demo country and one area per generated district, and bulk-loads the births as
registered records with their blocking keys (COPY, ``bench/dedupe_lookup.py``'s loader). Then,
each in its own process (time and peak memory of that process, from ``wait4``):

- ``crvs dedupe scan --event-type births``, the first scan of the register: it stores every
  suspected duplicate with its explanation and an audit event;
- the same command again (the nightly case: nothing new to store);
- the baseline: ``python -m dedupe dedupe`` on the same records written as CSV, with the
  registry's settings (hand-set weights, prior) and the review threshold.

It prints the figures side by side, with the pairs each found and their precision and recall
against the generator's truth. Target: 1,000,000 births scanned in under 10 minutes. PostgreSQL
comes from CRVS_BENCH_POSTGRES_URL (default: the local test server).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.dedupe_lookup import load  # noqa: E402
from bench.gen_register import Register, generate  # noqa: E402
from bench.pg import DEFAULT_PG, database_url, fresh_database  # noqa: E402
from registry.db import make_engine  # noqa: E402
from registry.domain import EventType  # noqa: E402
from registry.models import Area, Facility, User  # noqa: E402
from registry.services import duplicates  # noqa: E402
from registry.services.areas import load_areas  # noqa: E402

DB_NAME = "crvs_bench_scan"
CRVS = str(ROOT / ".venv" / "bin" / "crvs")


def people_of(register: Register) -> list[dict[str, Any]]:
    """The generated rows as the loader's people (area codes prefixed ``G``)."""
    out = []
    for row in register.rows:
        mother_given, _, mother_family = row["mother_name"].partition(" ")
        out.append(
            {
                "rec_id": row["rec_id"],
                "given_names": row["given_name"] or None,
                "family_name": row["family_name"] or None,
                "sex": {"M": "male", "F": "female"}[row["sex"]],
                "born": date.fromisoformat(row["date_of_birth"]),
                "mother_given": mother_given or None,
                "mother_family": mother_family or None,
                "area": f"G{row['district']}",
            }
        )
    return out


def prepare(admin_url: str, people: list[dict[str, Any]], reuse: bool) -> str:
    if reuse:
        return database_url(admin_url, DB_NAME)
    url = fresh_database(admin_url, DB_NAME, demo_country=True)
    engine = make_engine(url)
    with Session(engine) as session:
        root = session.scalars(select(Area).where(Area.parent_id.is_(None))).one()
        codes = sorted({p["area"] for p in people})
        rows = "".join(f"{c},District {c},district,{root.code}\n" for c in codes)
        load_areas(session, io.StringIO("code,name,level,parent_code\n" + rows))
        session.commit()
        areas = {a.code: (a.id, a.path) for a in session.scalars(select(Area)).all()}
        f111 = session.scalars(select(Facility).where(Facility.code == "F111")).one()
        o11 = session.scalars(select(Facility).where(Facility.code == "O11")).one()
        clerk = session.scalars(select(User).where(User.username == "clerk")).one()
        d11 = session.scalars(select(Area).where(Area.code == "D11")).one()
        ids = (d11.id, d11.path, f111.id, o11.id, clerk.id)
    started = time.perf_counter()
    load(engine, people, ids, areas)
    print(
        f"loaded {len(people):,} registered births with blocking keys in {time.perf_counter() - started:.0f} s"
    )
    engine.dispose()
    return url


def timed(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str, str]:
    """Run a command in a child process: (seconds, peak MiB, stdout, stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(args, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{stderr[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024, stdout, stderr


def scan_pairs(url: str, ids: dict[str, str]) -> set[frozenset[str]]:
    """The stored suspected duplicates, as pairs of generator ids."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT record_id, existing_id FROM duplicate_candidates"))
        found = {frozenset((ids[a], ids[b])) for a, b in rows}
    engine.dispose()
    return found


def registry_ids(url: str, rec_ids: list[str]) -> dict[str, str]:
    """Registry record id -> generator id (matched on the loaded registration order)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, registration_number FROM records WHERE event_type = 'birth'")
        ).all()
    engine.dispose()
    # The loader numbers registrations in the order of the people: ...X-0000001-C
    by_seq = {int(number.split("-")[2]): rid for rid, number in rows if "X-" in number}
    return {by_seq[i + 1]: rec_id for i, rec_id in enumerate(rec_ids) if i + 1 in by_seq}


def write_csv(people: list[dict[str, Any]], work: Path) -> None:
    """The records and the registry's settings as dedupe's command line reads them."""
    with (work / "register.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["rec_id", "given_names", "family_name", "date_of_birth", "sex", "mother", "area"]
        )
        for p in people:
            mother = " ".join(x for x in (p["mother_given"], p["mother_family"]) if x)
            writer.writerow([p["rec_id"], p["given_names"] or "", p["family_name"] or "",
                             p["born"].isoformat(), p["sex"], mother, p["area"]])  # fmt: skip
    settings = dict(duplicates.SETTINGS[EventType.BIRTH], id_column="rec_id")
    (work / "settings.json").write_text(json.dumps(settings), encoding="utf-8")


def library_cli(work: Path) -> tuple[float, float, set[frozenset[str]]]:
    out = work / "pairs.csv"
    elapsed, peak, _, _ = timed(
        [sys.executable, "-m", "dedupe", "dedupe", "--settings", str(work / "settings.json"),
         str(work / "register.csv"), "--out", str(out),
         "--threshold", str(duplicates.REVIEW_THRESHOLD)]
    )  # fmt: skip
    with out.open(newline="", encoding="utf-8") as handle:
        found = {frozenset((r["left_id"], r["right_id"])) for r in csv.DictReader(handle)}
    return elapsed, peak, found


def quality(found: set[frozenset[str]], truth: set[frozenset[str]]) -> str:
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth) if truth else 0.0
    return f"{len(found):>9,}{precision:>11.3f}{recall:>8.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--births", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database")
    args = parser.parse_args()
    started = time.perf_counter()
    register = generate(args.births, args.seed)
    people = people_of(register)
    truth = register.truth_pairs()
    del register
    print(
        f"generated {len(people):,} births ({len(truth):,} duplicate pairs) in {time.perf_counter() - started:.0f} s"
    )
    admin_url = os.environ.get("CRVS_BENCH_POSTGRES_URL", DEFAULT_PG)
    url = prepare(admin_url, people, args.reuse)
    work_dir = tempfile.TemporaryDirectory()
    work = Path(work_dir.name)
    write_csv(people, work)
    rec_ids = [p["rec_id"] for p in people]
    births = len(people)
    del people  # the processes measured below each read the records themselves
    if args.reuse:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM duplicate_candidates"))
        engine.dispose()
    env = dict(os.environ, DATABASE_URL=url, CRVS_ENV="production", SECRET_KEY="bench-only")
    scan = [CRVS, "dedupe", "scan", "--event-type", "births"]
    first_s, first_mib, first_out, _ = timed(scan, env)
    scanned = scan_pairs(url, registry_ids(url, rec_ids))
    again_s, again_mib, again_out, _ = timed(scan, env)
    lib_s, lib_mib, lib_found = library_cli(work)
    work_dir.cleanup()
    print(
        f"\nDuplicate scan of {births:,} registered births (PostgreSQL), review threshold {duplicates.REVIEW_THRESHOLD}"
    )
    print(f"{'':<52}{'seconds':>9}{'peak MiB':>10}{'pairs':>9}{'precision':>11}{'recall':>8}")
    print(
        f"{'crvs dedupe scan, first (stores pairs + audit)':<52}{first_s:>9.1f}{first_mib:>10.0f}{quality(scanned, truth)}"
    )
    print(f"{'crvs dedupe scan, again (nothing new)':<52}{again_s:>9.1f}{again_mib:>10.0f}")
    print(
        f"{'baseline: python -m dedupe dedupe (CSV, same model)':<52}{lib_s:>9.1f}{lib_mib:>10.0f}{quality(lib_found, truth)}"
    )
    print(f"scan output: {first_out.strip()} / {again_out.strip()}")
    target = 600 * max(births, 1) / 1_000_000
    print(
        f"target at this size (10 min per 1,000,000): {target:.0f} s -> {'met' if first_s < target else 'NOT met'}"
    )
    print(json.dumps({"births": births, "scan_s": first_s, "scan_mib": first_mib,
                      "rescan_s": again_s, "rescan_mib": again_mib, "library_s": lib_s,
                      "library_mib": lib_mib, "scan_pairs": len(scanned), "library_pairs": len(lib_found)}))  # fmt: skip


if __name__ == "__main__":
    main()
