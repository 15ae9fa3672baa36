"""Are the registry's duplicate probabilities calibrated? A reliability table on a generated register.

    .venv/bin/python bench/dedupe_registry_calibration.py [--births 20000] [--seed 1]
        [--prior P ...] [--trained]

The register comes from ``bench/gen_register.py`` (small name pools, twins, siblings, late
re-registrations with known truth). Records arrive in the register's order; each is looked up
as the registry looks up a declaration (``services.duplicates``): its blocking keys, the earlier
records sharing the most keys (up to 25), the registry's values and model. Every pair so
compared is scored, and the pairs are grouped by the probability the registrar would be shown:
per band, the share that are truly the same child. A probability means what it says when the
observed share of a band lies within it; the target is that among pairs shown at >= 0.9, at
least 90 % are true duplicates.

The baseline is the registry's model as it was before calibration (the hand-set weights with
dedupe's default prior 0.05, a mother's name at the "far" level weighed -2); beside it, the current model (``duplicates.hand_set``) and any
``--prior`` given. It also prints the largest probability among pairs whose birth dates differ
by more than a week and whose mothers' names differ (the issue's rule: never shown at >= 0.9).
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dedupe  # noqa: E402
from bench.gen_register import Register, generate  # noqa: E402
from registry.domain import EventType  # noqa: E402
from registry.services import duplicates, match_models  # noqa: E402

BANDS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001]


def registry_record(row: dict[str, str]) -> dedupe.Record:
    """A generated row as the registry's values (``duplicates.person_values``' columns)."""
    sex = {"M": "male", "F": "female"}.get(row["sex"])
    return dedupe.Record(
        row["rec_id"],
        {
            "given_names": row["given_name"] or None,
            "family_name": row["family_name"] or None,
            "date_of_birth": row["date_of_birth"] or None,
            "sex": sex,
            "mother": row["mother_name"] or None,
            "area": row["district"] or None,
        },
    )


def look_ups(
    register: Register, model: dedupe.Model
) -> list[tuple[str, str, float, dedupe.Candidate]]:
    """Each record against the earlier ones sharing the most keys: (new, old, weight-prior, c)."""
    records = [registry_record(row) for row in register.rows]
    index: dict[str, list[int]] = defaultdict(list)
    out = []
    for i, record in enumerate(records):
        keys = duplicates.keys_for(EventType.BIRTH, record)
        shared: dict[int, int] = defaultdict(int)
        for key in keys:
            for j in index[key]:
                shared[j] += 1
        best = sorted(shared, key=lambda j: (-shared[j], records[j].id))
        best = best[: duplicates.MAX_CANDIDATES]
        if best:
            for c in dedupe.score_candidates(record, [records[j] for j in best], model):
                out.append((c.left_id, c.right_id, c.match_weight - c.prior_weight, c))
        for key in keys:
            index[key].append(i)
    return out


def probability(weight: float, prior: float) -> float:
    w = weight + math.log2(prior / (1 - prior))
    return float(1.0 / (1.0 + 2.0 ** (-max(min(w, 1000), -1000))))


def days_apart(a: str | None, b: str | None) -> int | None:
    if not a or not b:
        return None
    try:
        return abs((date.fromisoformat(a) - date.fromisoformat(b)).days)
    except ValueError:
        return None


def report(
    name: str,
    prior: float,
    scored: list[tuple[str, str, float, dedupe.Candidate]],
    register: Register,
) -> dict[str, float]:
    truth = register.truth_pairs()
    counts = [[0, 0] for _ in BANDS[:-1]]
    worst_rule = 0.0
    worst_rule_pair = None
    shown_hi = true_hi = shown_rev = true_rev = 0
    for left, right, weight, cand in scored:
        p = probability(weight, prior)
        same = frozenset((left, right)) in truth
        for k in range(len(BANDS) - 1):
            if BANDS[k] <= p < BANDS[k + 1]:
                counts[k][0] += 1
                counts[k][1] += same
                break
        if p >= 0.9:
            shown_hi += 1
            true_hi += same
        if p >= duplicates.REVIEW_THRESHOLD:
            shown_rev += 1
            true_rev += same
        fields = {f.column: f for f in cand.fields}
        apart = days_apart(fields["date_of_birth"].left, fields["date_of_birth"].right)
        mothers_differ = fields["mother"].level in ("far", "else")
        if apart is not None and apart > 7 and mothers_differ and p > worst_rule:
            worst_rule, worst_rule_pair = p, cand
    print(f"\n{name}: prior {prior:.3g} (prior weight {math.log2(prior / (1 - prior)):+.2f})")
    print(f"{'shown probability':<20}{'pairs':>9}{'same child':>12}{'observed':>10}")
    for k in range(len(BANDS) - 1):
        n, t = counts[k]
        high = min(BANDS[k + 1], 1.0)
        label = f"[{BANDS[k]:.2f}, {high:.2f}{']' if high == 1.0 else ')'}"
        observed = f"{t / n:.3f}" if n else "-"
        print(f"{label:<20}{n:>9}{t:>12}{observed:>10}")
    found = {frozenset((a, b)) for a, b, w, _ in scored if probability(w, prior) >= 0.8}
    recall = len(found & truth) / max(len(truth), 1)
    precision_hi = true_hi / shown_hi if shown_hi else float("nan")
    precision_rev = true_rev / shown_rev if shown_rev else float("nan")
    print(
        f"shown >= 0.9: {shown_hi} pairs, {precision_hi:.3f} true (target >= 0.90); "
        f"shown >= 0.8 (review): {shown_rev} pairs, precision {precision_rev:.3f}, "
        f"recall of all duplicate pairs {recall:.3f}"
    )
    print(
        f"largest probability with birth dates > 7 days apart and mothers differing: {worst_rule:.4f}"
    )
    if worst_rule_pair is not None and worst_rule >= 0.9:
        for f in worst_rule_pair.fields:
            print(f"    {f.column:<14}{f.left!s:<24}{f.right!s:<24}{f.level:<10}{f.weight:+.1f}")
    return {"precision_hi": precision_hi, "recall": recall, "worst_rule": worst_rule}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--births", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--prior", type=float, action="append", default=[])
    parser.add_argument(
        "--trained",
        action="store_true",
        help="also a model learnt from the register as `crvs dedupe train` learns it",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    register = generate(args.births, args.seed)
    print(
        f"{len(register.rows):,} records, {len(register.truth_pairs()):,} duplicate pairs "
        f"(generated in {time.perf_counter() - started:.1f} s)"
    )
    current = duplicates.hand_set(EventType.BIRTH)
    started = time.perf_counter()
    scored = look_ups(register, current)
    print(f"{len(scored):,} pairs compared by the look-up in {time.perf_counter() - started:.1f} s")
    before = baseline_model()
    report(
        "baseline: the registry before calibration",
        before.prior,
        look_ups(register, before),
        register,
    )
    report("registry now (duplicates.hand_set)", current.prior, scored, register)
    for prior in args.prior:
        report("the registry's weights with --prior", prior, scored, register)
    if args.trained:
        records = [registry_record(row) for row in register.rows]
        settings = match_models.training_settings(duplicates.SETTINGS[EventType.BIRTH])
        started = time.perf_counter()
        learnt = dedupe.train(records, settings)
        print(f"\ntrained as `crvs dedupe train` does in {time.perf_counter() - started:.1f} s")
        report("learnt from the register", learnt.prior, look_ups(register, learnt), register)


def baseline_model() -> dedupe.Model:
    """The registry's model before calibration: a "far" mother weighed -2, dedupe's prior."""
    data = copy.deepcopy(duplicates.SETTINGS[EventType.BIRTH])
    data.pop("prior", None)
    for spec in data["fields"]:
        if spec["column"] == "mother":
            spec["weights"] = {**spec["weights"], "far": -2.0}
    return dedupe.Model.from_settings(dedupe.Settings.from_dict(data))


if __name__ == "__main__":
    main()
