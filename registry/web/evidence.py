"""What the agreement of one compared field says, in words a registrar or a clerk can weigh.

The dedupe explanation gives each field a level (exact, close, phonetic, transposed, year, far,
else, missing) and a weight (log2 Bayes factor: positive is evidence for the same person). One
sentence per field says how the two values differ and how much that counts, for example
"Given names: spelt differently but sound alike (Mohamed / Muhammad) — evidence for the same
child" or "Mother: different women — strong evidence against".
"""

from __future__ import annotations

import math
from typing import Any

from registry.web.i18n import gettext
from registry.web.i18n import lazy_gettext as _l

#: Field names of the explanation, as labels.
FIELDS = {
    "given_names": _l("Given names"),
    "family_name": _l("Family name"),
    "date_of_birth": _l("Date of birth"),
    "date_of_death": _l("Date of death"),
    "sex": _l("Sex"),
    "mother": _l("Mother"),
    "area": _l("Area"),
}
#: The kind of wording a field takes.
WORDING = {"date_of_birth": "date", "date_of_death": "date", "mother": "mother", "area": "area"}
NAMES = ("given_names", "family_name")

#: (wording, level) -> how the two values differ. "*" applies to every wording.
HOW = {
    ("name", "exact"): _l("the same"),
    ("name", "close"): _l("spelt a little differently"),
    ("name", "phonetic"): _l("spelt differently but sound alike"),
    ("name", "far"): _l("quite different"),
    ("name", "else"): _l("different"),
    ("mother", "exact"): _l("the same woman"),
    ("mother", "close"): _l("the same woman, spelt a little differently"),
    ("mother", "phonetic"): _l("names that sound alike"),
    ("mother", "far"): _l("names far apart"),
    ("mother", "else"): _l("different women"),
    ("date", "exact"): _l("the same date"),
    ("date", "transposed"): _l("day and month swapped"),
    ("date", "close"): _l("a few days apart"),
    ("date", "year"): _l("the same year only"),
    ("date", "else"): _l("different dates"),
    ("area", "exact"): _l("the same area"),
    ("area", "else"): _l("different areas"),
    ("exact", "exact"): _l("the same"),
    ("exact", "else"): _l("different"),
    ("*", "missing"): _l("missing on one side"),
}
#: The colour class of a level (a second cue beside the words).
CSS = {
    "exact": "same",
    "close": "close",
    "phonetic": "close",
    "transposed": "close",
    "year": "far",
    "far": "far",
    "else": "different",
    "missing": "missing",
}
STRONG = 5.0  # a weight (log2) this far from zero is strong evidence
NEUTRAL = 0.5


def wording(field: str) -> str:
    return "name" if field in NAMES else WORDING.get(field, "exact")


def how(field: str, level: str) -> str:
    found = HOW.get((wording(field), level)) or HOW.get(("*", level))
    return str(found) if found is not None else level


def strength(weight: float | None, *, birth: bool) -> str:
    w = weight or 0.0
    if w >= STRONG:
        if birth:
            return gettext("strong evidence for the same child")
        return gettext("strong evidence for the same person")
    if w >= NEUTRAL:
        if birth:
            return gettext("evidence for the same child")
        return gettext("evidence for the same person")
    if w > -NEUTRAL:
        return gettext("no evidence either way")
    if w > -STRONG:
        return gettext("evidence against")
    return gettext("strong evidence against")


def sentence(
    field: str, level: str, weight: float | None, left: Any, right: Any, *, birth: bool
) -> str:
    """One sentence of evidence; the values are left out when either side is hidden."""
    label = str(FIELDS.get(field, field))
    said = strength(weight, birth=birth)
    if left in (None, "") or right in (None, "") or level == "missing":
        return gettext(
            "%(field)s: %(how)s — %(strength)s", field=label, how=how(field, level), strength=said
        )
    return gettext(
        "%(field)s: %(how)s (%(left)s / %(right)s) — %(strength)s",
        field=label,
        how=how(field, level),
        left=left,
        right=right,
        strength=said,
    )


def percent(probability: float) -> str:
    """A posterior as a whole percentage; never "100 %" or "0 %", which would claim a certainty
    the model does not have."""
    if 0.99 < probability < 1.0:
        return "> 99 %"
    if 0.0 < probability < 0.01:
        return "< 1 %"
    # Rounded down, so that a pair shown at "90 %" has reached the 90 % of the suggestion.
    return f"{math.floor(probability * 100)} %"
