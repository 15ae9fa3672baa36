"""Scale benchmark: our command line and Splink on N generated records (default 1,000,000).

Each tool runs in its own child process; the script prints wall time, peak memory (the
child's own ru_maxrss) and pairwise precision / recall against the known duplicates.

``--data register`` (the default) is the generated civil register of ``bench/gen_register.py``
(small name pools, families, twins, late re-registrations) with its documented settings, and
Splink configured as in ``bench/dedupe_registers.py``; ``--data people`` is the older generator
``bench/gen_people.py`` (mostly unique names) with the settings and Splink model used before.

    .venv/bin/python bench/dedupe_scale.py --n 1000000 [--data register|people]
        [--skip-splink | --only ours|splink]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import gen_register
from bench.dedupe_registers import SPLINK as SPLINK_REGISTER
from bench.gen_people import generate

SETTINGS = {
    "id_column": "rec_id",
    "fields": [
        {"column": "given_name", "kind": "name", "role": "given_name"},
        {"column": "family_name", "kind": "name", "role": "family_name"},
        {"column": "date_of_birth", "kind": "date", "format": "%Y-%m-%d", "role": "date_of_birth"},
        {"column": "sex", "kind": "exact"},
        {"column": "mother_name", "kind": "name", "role": "mother"},
        {"column": "district", "kind": "exact"},
    ],
}

OURS = """
import sys
from dedupe.cli import main
sys.exit(main(sys.argv[1:]))
"""

SPLINK = """
import sys
import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
src, out, threshold = sys.argv[1], sys.argv[2], float(sys.argv[3])
df = pd.read_csv(src, dtype=str, keep_default_na=False).replace("", None)
db_api = DuckDBAPI()
settings = SettingsCreator(
    unique_id_column_name="rec_id",
    link_type="dedupe_only",
    blocking_rules_to_generate_predictions=[
        block_on("given_name", "family_name"),
        block_on("date_of_birth", "substr(family_name, 1, 1)"),
        block_on("family_name", "substr(date_of_birth, 1, 4)"),
        block_on("mother_name", "substr(date_of_birth, 1, 4)"),
    ],
    comparisons=[
        cl.NameComparison("given_name"),
        cl.NameComparison("family_name"),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
        cl.ExactMatch("sex"),
        cl.NameComparison("mother_name"),
        cl.ExactMatch("district"),
    ],
)
linker = Linker(db_api.register(df), settings)
linker.training.estimate_probability_two_random_records_match(
    [block_on("given_name", "family_name", "date_of_birth")], recall=0.7
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=2)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
linker.training.estimate_parameters_using_expectation_maximisation(
    block_on("given_name", "family_name")
)
rows = linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe()
rows[["rec_id_l", "rec_id_r"]].rename(
    columns={"rec_id_l": "left_id", "rec_id_r": "right_id"}
).to_csv(out, index=False)
"""


def _truth(ids: list[str]) -> set[frozenset[str]]:
    groups: dict[str, list[str]] = {}
    for rec_id in ids:
        groups.setdefault(re.match(r"(p\d+)-", rec_id).group(1), []).append(rec_id)  # type: ignore[union-attr]
    return {frozenset(p) for g in groups.values() for p in combinations(g, 2)}


def _run(code: str, args: list[str], out: Path) -> tuple[set[frozenset[str]], float, float]:
    """Run ``code`` in a child; return its pairs, wall time and peak RSS (the child's own)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL, stderr=err
        )
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise SystemExit(err.read()[-2000:])
    with out.open(newline="", encoding="utf-8") as handle:
        found = {frozenset((r["left_id"], r["right_id"])) for r in csv.DictReader(handle)}
    return found, elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument("--only", choices=["ours", "splink"], help="run one tool only")
    parser.add_argument("--data", choices=["register", "people"], default="register")
    parser.add_argument(
        "--splink-em-max-pairs",
        type=float,
        default=5e6,
        help="register: sample Splink's EM sessions to about this many pairs",
    )
    parser.add_argument(
        "--splink-memory",
        default="8GB",
        help="register: DuckDB memory limit for Splink (it spills to disk above it)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        settings = work / "settings.json"
        if args.data == "register":
            register = gen_register.generate(args.n, args.seed)
            gen_register.write(register, work)
            data = work / "register.csv"
            truth = register.truth_pairs()
            splink_code = SPLINK_REGISTER
            del register
        else:
            rows = generate(args.n, args.seed)
            truth = _truth([r["rec_id"] for r in rows])
            data = work / "people.csv"
            with data.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
            del rows
            settings.write_text(json.dumps(SETTINGS), encoding="utf-8")
            splink_code = SPLINK
        print(
            f"{args.n:,} records ({args.data}), {len(truth):,} true duplicate pairs, "
            f"threshold {args.threshold}"
        )
        print(f"{'tool':<9}{'pairs':>10}{'P':>8}{'R':>8}{'F1':>8}{'time s':>9}{'peak MiB':>10}")
        tools = [("ours", OURS, ["dedupe", "--settings", str(settings), str(data), "--out"])]
        if not args.skip_splink:
            tools.append(("splink", splink_code, [str(data)]))
        if args.only:
            tools = [tool for tool in tools if tool[0] == args.only]
        for name, code, prefix in tools:
            out = work / f"{name}.csv"
            if name == "ours":
                extra = [str(out), "--threshold", str(args.threshold)]
            else:
                extra = [str(out), str(args.threshold)]
                if args.data == "register":
                    extra += [str(args.splink_em_max_pairs), args.splink_memory]
            found, elapsed, peak = _run(code, prefix + extra, out)
            hits = len(found & truth)
            p = hits / len(found) if found else 0.0
            r = hits / len(truth) if truth else 0.0
            f1 = 2 * p * r / (p + r) if hits else 0.0
            print(
                f"{name:<9}{len(found):>10,}{p:>8.4f}{r:>8.4f}{f1:>8.4f}{elapsed:>9.1f}{peak:>10,.0f}"
            )


if __name__ == "__main__":
    main()
