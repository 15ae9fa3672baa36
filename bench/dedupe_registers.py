"""Dedupe on a generated civil register: our command line beside Splink, in one run.

For each size (records of ``bench/gen_register.py``: small name pools, families, twins,
siblings, late re-registrations with one to four changes), both tools run in their own child
process on the same CSV file:

- **ours**: ``python -m dedupe dedupe --settings settings.json register.csv --out pairs.csv``
  with the documented settings (kinds and roles, weights learnt) at the default threshold,
  timed; then once more at ``--threshold 0.5``, untimed, for the reliability table;
- **Splink 5** on DuckDB, configured as its documentation's person-deduplication example
  (``ForenameSurnameComparison`` with term frequencies on the full name,
  ``DateOfBirthComparison``, ``NameComparison`` with term frequencies on the parents' names,
  exact matches with term frequencies), names lower-cased as its documentation asks; trained
  by its usual recipe: the prior from deterministic rules, u by random sampling, m by EM in
  sessions blocked on the names and on the date of birth. It predicts at 0.5 (the same work
  as at 0.9: every blocked pair is scored, then filtered) and is scored at the threshold.

Printed for each: pairwise precision, recall and F1 at the threshold (truth: every pair of
records sharing a child), the share of twin pairs and of sibling pairs reported, wall time and
the child's peak RSS, then a reliability table (predicted probability band against the share
of true pairs in it).

    .venv/bin/python bench/dedupe_registers.py [--births 20000 --births 200000] [--seed 1]

Needs the bench extras (``pip install -e '.[bench]'``): splink and duckdb.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.gen_register import Register, generate, settings, write  # noqa: E402

BANDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
RELIABILITY_THRESHOLD = 0.5

SPLINK = """
import sys
import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

src, out, threshold = sys.argv[1], sys.argv[2], float(sys.argv[3])
# Optional: EM sessions sampled to about this many pairs, and DuckDB's memory limit (it spills
# to disk above it); used by bench/dedupe_scale.py at 1,000,000 records on the shared machine.
em_max_pairs = float(sys.argv[4]) if len(sys.argv) > 4 else None
memory_limit = sys.argv[5] if len(sys.argv) > 5 else None
df = pd.read_csv(src, dtype=str, keep_default_na=False)
for column in ("given_name", "family_name", "mother_name", "father_name"):
    df[column] = df[column].str.lower().str.strip()
df = df.replace("", None)
df["full_name"] = df["given_name"].fillna("") + " " + df["family_name"].fillna("")
if memory_limit:
    import duckdb
    db_api = DuckDBAPI(duckdb.connect(config={"memory_limit": memory_limit}))
else:
    db_api = DuckDBAPI()
settings = SettingsCreator(
    unique_id_column_name="rec_id",
    link_type="dedupe_only",
    blocking_rules_to_generate_predictions=[
        block_on("given_name", "family_name"),
        "l.given_name = r.family_name and l.family_name = r.given_name",
        block_on("family_name", "date_of_birth"),
        block_on("given_name", "date_of_birth"),
        block_on("mother_name", "substr(date_of_birth, 1, 4)"),
        block_on("date_of_birth", "district"),
        block_on("substr(given_name, 1, 2)", "substr(family_name, 1, 2)",
                 "substr(date_of_birth, 1, 4)"),
    ],
    comparisons=[
        cl.ForenameSurnameComparison(
            "given_name", "family_name", forename_surname_concat_col_name="full_name"
        ),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
        cl.ExactMatch("sex"),
        cl.NameComparison("mother_name").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("mother_date_of_birth", input_is_string=True),
        cl.NameComparison("father_name").configure(term_frequency_adjustments=True),
        cl.ExactMatch("district").configure(term_frequency_adjustments=True),
        cl.ExactMatch("type_of_birth").configure(term_frequency_adjustments=True),
    ],
)
linker = Linker(db_api.register(df), settings)
linker.training.estimate_probability_two_random_records_match(
    [
        block_on("given_name", "family_name", "date_of_birth"),
        block_on("mother_name", "date_of_birth", "given_name"),
    ],
    recall=0.6,
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=2)
for rule in (block_on("given_name", "family_name"), block_on("date_of_birth")):
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True, max_pairs=em_max_pairs
        )
    except ValueError as exc:  # a session can underflow on a small register; keep the others
        print("SPLINK EM SESSION FAILED", rule.get_blocking_rule("duckdb").blocking_rule_sql,
              exc, file=sys.stderr)
rows = linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe()
rows[["rec_id_l", "rec_id_r", "match_probability"]].rename(
    columns={"rec_id_l": "left_id", "rec_id_r": "right_id", "match_probability": "probability"}
).to_csv(out, index=False)
"""


@dataclass
class Run:
    """One tool's pairs (with their probabilities), wall time and peak RSS."""

    pairs: dict[frozenset[str], float]
    seconds: float
    peak_mib: float


def run_child(command: list[str], out: Path, log: Path) -> Run:
    """Run ``command`` in a child process; return its pairs, wall time and own peak RSS."""
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as err:
        child = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT, env=_env()
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{command[:4]} failed:\n{log.read_text(encoding='utf-8')[-3000:]}")
    for line in log.read_text(encoding="utf-8").splitlines():
        if line.startswith("SPLINK EM SESSION FAILED"):
            print(f"  note: {line[:160]}")
    return Run(read_pairs(out), elapsed, usage.ru_maxrss / 1024)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def read_pairs(path: Path) -> dict[frozenset[str], float]:
    """Read ``left_id,right_id,probability`` rows into {pair: probability}."""
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            frozenset((row["left_id"], row["right_id"])): float(row["probability"])
            for row in csv.DictReader(handle)
        }


def ours(data: Path, settings_file: Path, work: Path, threshold: float | None) -> Run:
    """Our command line as a user runs it (the default threshold when ``threshold`` is None)."""
    tag = "default" if threshold is None else f"{threshold}"
    out = work / f"ours_{tag}.csv"
    command = [sys.executable, "-m", "dedupe", "dedupe", "--settings", str(settings_file)]
    command += [str(data), "--out", str(out)]
    if threshold is not None:
        command += ["--threshold", str(threshold)]
    return run_child(command, out, work / f"ours_{tag}.log")


def splink(data: Path, work: Path, threshold: float) -> Run:
    """Splink 5 on DuckDB (see the module docstring), predicting at ``threshold``."""
    out = work / "splink.csv"
    command = [sys.executable, "-c", SPLINK, str(data), str(out), str(threshold)]
    return run_child(command, out, work / "splink.log")


def scores(found: set[frozenset[str]], truth: set[frozenset[str]]) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1."""
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return precision, recall, f1


def reliability(
    pairs: dict[frozenset[str], float], truth: set[frozenset[str]]
) -> list[tuple[str, int, float | None]]:
    """Rows ``(band, pairs in it, share of them that are true)`` from 0.5 up."""
    edges = [*BANDS, float("inf")]
    rows = []
    for low, high in pairwise(edges):
        inside = [pair for pair, p in pairs.items() if low <= p < high]
        label = f">= {low}" if high == float("inf") else f"{low}-{high}"
        share = sum(pair in truth for pair in inside) / len(inside) if inside else None
        rows.append((label, len(inside), share))
    return rows


def evaluate(register: Register, data_dir: Path, threshold: float, tools: list[str]) -> None:
    """Run the tools on the written register and print their figures side by side."""
    truth = register.truth_pairs()
    twins, siblings = register.twin_pairs(), register.sibling_pairs()
    settings_file = data_dir / "settings.json"
    print(
        f"\n{len(register.rows):,} records, {len(set(register.person.values())):,} children, "
        f"{len(truth):,} true pairs, {len(twins):,} twin pairs, {len(siblings):,} sibling "
        f"pairs; threshold {threshold}; load {_load()}"
    )
    print(
        f"{'tool':<8}{'pairs':>9}{'P':>8}{'R':>8}{'F1':>8}{'twins':>8}{'sibs':>8}"
        f"{'time s':>9}{'peak MiB':>10}"
    )
    tables: dict[str, list[tuple[str, int, float | None]]] = {}
    for tool in tools:
        if tool == "ours":
            timed = ours(data_dir / "register.csv", settings_file, data_dir, None)
            loose = ours(data_dir / "register.csv", settings_file, data_dir, RELIABILITY_THRESHOLD)
        else:
            timed = splink(data_dir / "register.csv", data_dir, RELIABILITY_THRESHOLD)
            loose = timed
        found = {pair for pair, p in timed.pairs.items() if p >= threshold}
        p, r, f1 = scores(found, truth)
        twin_share = len(found & twins) / len(twins) if twins else 0.0
        sibling_share = len(found & siblings) / len(siblings) if siblings else 0.0
        print(
            f"{tool:<8}{len(found):>9,}{p:>8.4f}{r:>8.4f}{f1:>8.4f}{twin_share:>8.4f}"
            f"{sibling_share:>8.4f}{timed.seconds:>9.1f}{timed.peak_mib:>10,.0f}"
        )
        tables[tool] = reliability(loose.pairs, truth)
    print("reliability: predicted probability band -> pairs, observed share of true pairs")
    header = f"{'band':<12}" + "".join(f"{tool + ' n':>10}{tool + ' true':>12}" for tool in tables)
    print(header)
    for index, (band, _, _) in enumerate(next(iter(tables.values()))):
        cells = ""
        for table in tables.values():
            _, count, share = table[index]
            cells += f"{count:>10,}{'' if share is None else f'{share:.3f}':>12}"
        print(f"{band:<12}{cells}")


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--births", type=int, action="append", help="records (repeatable; 20000 and 200000)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=["ours", "splink"], help="run one tool only")
    parser.add_argument("--keep", type=Path, help="write the data and outputs here and keep them")
    args = parser.parse_args()
    sizes = args.births or [20_000, 200_000]
    tools = [args.only] if args.only else ["ours", "splink"]
    threshold = float(settings().get("threshold", 0.9))
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        for births in sizes:
            register = generate(births, args.seed)
            data_dir = base / f"register_{births}"
            write(register, data_dir)
            evaluate(register, data_dir, threshold, tools)


if __name__ == "__main__":
    main()
