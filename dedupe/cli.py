"""The command line: deduplicate one CSV file or link two.

Usage::

    python -m dedupe dedupe --settings SETTINGS.json INPUT.csv --out PAIRS.csv [--threshold P] \\
        [--save-model MODEL.json]
    python -m dedupe dedupe --model MODEL.json INPUT.csv --out PAIRS.csv [--threshold P]
    python -m dedupe link   --settings SETTINGS.json LEFT.csv RIGHT.csv --out PAIRS.csv \\
        [--threshold P] [--save-model MODEL.json]
    python -m dedupe link   --model MODEL.json LEFT.csv RIGHT.csv --out PAIRS.csv [--threshold P]

The weights are learnt from the input by EM unless the settings give them; ``--save-model``
writes the learnt model (settings, weights, prior, term frequencies) as JSON, and ``--model``
scores with a saved one instead of learning (its prior rescaled to the input's size), so a
register is scored with the same weights each night. PAIRS.csv has one
row per pair at or above the threshold: ``left_id,right_id,probability,match_weight``, then
``cluster_id`` (``dedupe`` only; empty when a weak bridge was cut) and one column per field
holding its comparison level. Errors print one line on stderr and exit with status 1.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from dedupe.blocking import candidate_pairs
from dedupe.cluster import cluster_edges
from dedupe.errors import DedupeError, InputError, MissingColumnError
from dedupe.matching import ScoredPairs, _compare_all, _fit, score_table
from dedupe.model import Model
from dedupe.records import Record, Table
from dedupe.settings import Settings

__all__ = ["main"]

_PROGRESS_MIN_RECORDS = 20_000


class _Progress:
    """A one-line progress display on stderr, shown only on a terminal for large inputs."""

    def __init__(self, enabled: bool, stream: TextIO = sys.stderr) -> None:
        self.enabled = enabled
        self.stream = stream

    def stage(self, label: str) -> None:
        if self.enabled:
            self.stream.write(f"\r\x1b[K{label}...")
            self.stream.flush()

    def step(self, done: int, total: int) -> None:
        if self.enabled and total:
            width = 30
            filled = width * done // total
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r\x1b[Kscoring [{bar}] {done:,}/{total:,} pairs")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


Columns = dict[str, list[str | None]]


def read_records(path: Path, settings: Settings) -> list[Record]:
    """Read records from a CSV file with a header row.

    Raises:
        MissingColumnError: When the id column or a field column is absent.
        InputError: When the file cannot be read or decoded, or ids repeat.
    """
    ids, columns = read_columns(path, settings)
    return [
        Record(record_id, {name: values[k] for name, values in columns.items()})
        for k, record_id in enumerate(ids)
    ]


def read_columns(path: Path, settings: Settings) -> tuple[list[str], Columns]:
    """Read a CSV file with a header row as ids and the raw values of each field's column.

    Values are stripped (empty means ``None``); a row without an id is named ``row-N``. Read
    column-wise, with one string object per distinct value (names and districts repeat), a
    register of a million rows takes a fraction of the memory of a record per row.

    Raises:
        MissingColumnError: When the id column or a field column is absent.
        InputError: When the file cannot be read or decoded, or ids repeat.
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [name.strip() for name in next(reader, [])]
            needed = [settings.id_column, *(spec.column for spec in settings.fields)]
            missing = [name for name in needed if name not in header]
            if missing:
                raise MissingColumnError(f"{path}: missing column(s): {', '.join(missing)}")
            positions = {name: header.index(name) for name in needed}
            id_at = positions[settings.id_column]
            fields = [(name, at) for name, at in positions.items() if name != settings.id_column]
            ids: list[str] = []
            columns: Columns = {name: [] for name, _ in fields}
            shared: dict[str, str] = {}
            for row in reader:
                if not row:
                    continue
                width = len(row)
                for name, at in fields:
                    text = row[at].strip() if at < width else ""
                    columns[name].append(shared.setdefault(text, text) if text else None)
                record_id = row[id_at].strip() if id_at < width else ""
                ids.append(record_id or f"row-{reader.line_num}")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if len(set(ids)) != len(ids):
        raise InputError(f"{path}: values in {settings.id_column!r} are not unique")
    return ids, columns


def _write(
    path: Path, scored: ScoredPairs, clusters: dict[str, str] | None, settings: Settings
) -> None:
    ids = scored.table.ids
    levels = [scored.level_names(col) for col in range(len(settings.fields))]
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            header = ["left_id", "right_id", "probability", "match_weight"]
            if clusters is not None:
                header.append("cluster_id")
            writer.writerow(header + [spec.column for spec in settings.fields])
            for k in range(len(scored.left)):
                left, right = ids[int(scored.left[k])], ids[int(scored.right[k])]
                row = [
                    left,
                    right,
                    f"{scored.probability[k]:.6f}",
                    f"{scored.match_weight[k]:.3f}",
                ]
                if clusters is not None:
                    same = clusters.get(left) == clusters.get(right)
                    row.append(clusters.get(left, "") if same else "")
                writer.writerow(row + [column[k] for column in levels])
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None


def _save(model: Model, path: Path) -> None:
    try:
        path.write_text(json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None


def _run(args: argparse.Namespace) -> int:
    if (args.settings is None) == (args.model is None):
        raise InputError("give either --settings (learn the weights) or --model (use saved ones)")
    if args.model is not None and args.save_model is not None:
        raise InputError("--save-model saves a learnt model: it cannot go with --model")
    saved = None if args.model is None else Model.from_json_file(args.model)
    settings = saved.settings if saved is not None else Settings.from_json_file(args.settings)
    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise InputError("--threshold must be between 0 and 1")
    threshold = settings.threshold if args.threshold is None else args.threshold
    left_ids, left = read_columns(Path(args.inputs[0]), settings)
    right_ids, right = (
        read_columns(Path(args.inputs[1]), settings) if args.command == "link" else ([], None)
    )
    total = len(left_ids) + len(right_ids)
    progress = _Progress(sys.stderr.isatty() and total >= _PROGRESS_MIN_RECORDS)
    started = time.perf_counter()
    progress.stage("preparing")
    split = None if right is None else len(left_ids)
    dedupe_only = right is None
    if right is not None:
        for name, values in left.items():
            values.extend(right[name])
    table = Table.from_columns([*left_ids, *right_ids], left, settings)
    del left, right, left_ids, right_ids  # the table holds what is needed
    progress.stage("blocking")
    ia, ib = candidate_pairs(table, split)
    progress.stage("comparing" if saved is not None else "training")
    compared = _compare_all(table, ia, ib)
    if saved is not None:
        model = saved.at_size(len(table))
    else:
        model = _fit(table, ia, ib, compared, split)
        if args.save_model is not None:
            _save(model, Path(args.save_model))
    scored = score_table(table, ia, ib, model, threshold, progress.step, compared)
    clusters = None
    if dedupe_only:
        edges = zip(
            (table.ids[i] for i in scored.left.tolist()),
            (table.ids[i] for i in scored.right.tolist()),
            scored.probability.tolist(),
            strict=True,
        )
        clusters = cluster_edges(edges, threshold)
    _write(Path(args.out), scored, clusters, settings)
    progress.close()
    if args.verbose:
        print(
            f"{total} records, {len(ia)} candidate pairs, {len(scored.left)} pairs >= "
            f"{threshold} in {time.perf_counter() - started:.2f}s (model: {model.source})",
            file=sys.stderr,
        )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dedupe", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, inputs, text in (
        ("dedupe", ["INPUT.csv"], "find duplicate records in one CSV file"),
        ("link", ["LEFT.csv", "RIGHT.csv"], "find the same people across two CSV files"),
    ):
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("--settings", help="settings JSON file (weights learnt from the input)")
        sub.add_argument("--model", help="saved model JSON file (score with it, no learning)")
        sub.add_argument("--save-model", help="write the learnt model to this JSON file")
        sub.add_argument(
            "inputs", nargs=len(inputs), metavar=inputs[0] if len(inputs) == 1 else "CSV"
        )
        sub.add_argument("--out", required=True, help="output CSV of matched pairs")
        sub.add_argument("--threshold", type=float, help="minimum match probability (0-1)")
        sub.add_argument("-v", "--verbose", action="store_true", help="print a summary")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except DedupeError as exc:
        message = " ".join(str(exc).split())
        print(f"error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 1
