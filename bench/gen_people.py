"""Generate N birth records with known duplicates (typos, swaps, transliteration, twins).

Ids are ``p<entity>-<copy>``: records sharing ``<entity>`` are the same child; twins are
distinct entities with the same mother and birth date.

    .venv/bin/python bench/gen_people.py 100000 people.csv [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
import random

GIVEN = [
    "Amina",
    "Mohamed",
    "Fatima",
    "Ibrahim",
    "Halima",
    "Omar",
    "Zainab",
    "Yusuf",
    "Khadija",
    "Hassan",
    "Asha",
    "Abdi",
    "Sahra",
    "Ali",
    "Maryam",
    "Ahmed",
    "Hodan",
]
ARABIC = {
    "Mohamed": "محمد",
    "Fatima": "فاطمة",
    "Yusuf": "يوسف",
    "Zainab": "زينب",
    "Ahmed": "أحمد",
    "Ali": "علي",
    "Omar": "عمر",
    "Hassan": "حسن",
}
VARIANTS = {
    "Mohamed": ["Muhammad", "Mohammed"],
    "Yusuf": ["Yousef"],
    "Fatima": ["Fatimah"],
    "Zainab": ["Zeinab"],
    "Ahmed": ["Ahmad"],
}
SYLLABLES = ["ka", "mi", "ro", "sa", "de", "lu", "ha", "no", "fi", "ta", "be", "yo", "za",
             "ri", "gu", "le", "da", "wa", "ne", "so"]  # fmt: skip


def _name(rng: random.Random, pool: list[str] | None = None) -> str:
    if pool and rng.random() < 0.3:
        return rng.choice(pool)
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).title()


def _typo(rng: random.Random, text: str) -> str:
    if not text:
        return text
    at = rng.randrange(len(text))
    return text[:at] + rng.choice("aeiounrst") + text[at + 1 :]


def _variant(rng: random.Random, row: dict[str, str]) -> dict[str, str]:
    copy = dict(row)
    y, m, d = row["date_of_birth"].split("-")
    change = rng.randrange(6)
    if change == 0:
        copy["given_name"] = _typo(rng, copy["given_name"])
    elif change == 1 and int(d) <= 12:
        copy["date_of_birth"] = f"{y}-{d}-{m}"
    elif change == 2:
        copy["given_name"], copy["family_name"] = copy["family_name"], copy["given_name"]
    elif change == 3:
        given = copy["given_name"]
        copy["given_name"] = ARABIC.get(given) or rng.choice(
            VARIANTS.get(given, [_typo(rng, given)])
        )
    elif change == 4:
        copy["given_name"] = f"Baby of {copy['mother_name'].split()[0]}"
    else:
        copy["district"] = f"D{rng.randrange(40)}"
        copy["date_of_birth"] = f"{y}-{m}-{min(int(d) + 1, 28):02d}"
    return copy


def generate(n: int, seed: int = 0) -> list[dict[str, str]]:
    """Return about ``n`` records: originals, duplicates (about 15%) and twins (about 1%)."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    entity = 0
    while len(rows) < n:
        family = _name(rng)
        row = {
            "rec_id": f"p{entity}-0",
            "given_name": _name(rng, GIVEN),
            "family_name": family,
            "date_of_birth": f"{rng.randint(1990, 2023)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "sex": rng.choice("MF"),
            "mother_name": f"{_name(rng, GIVEN)} {_name(rng)}",
            "district": f"D{rng.randrange(40)}",
        }
        rows.append(row)
        if rng.random() < 0.15:
            copy = _variant(rng, row)
            copy["rec_id"] = f"p{entity}-1"
            rows.append(copy)
        if rng.random() < 0.01:
            entity += 1
            twin = dict(row, rec_id=f"p{entity}-0", given_name=_name(rng, GIVEN))
            if twin["given_name"] != row["given_name"]:
                rows.append(twin)
        entity += 1
    return rows[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = generate(args.n, args.seed)
    with open(args.out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
