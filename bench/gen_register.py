"""Generate a civil register of births with known truth (an evaluation set for dedupe).

A register that looks like a real one, where FEBRL does not: names come from small pools with
Zipf-like frequencies (70 given names per sex, 80 family names per district, neighbouring
districts sharing part of their pool), so most children share their name with many strangers.
Mothers have several children (10 months to 5 years apart), sometimes twins or triplets (same
mother, date and family name, different given names, often the same sex). About one child in
seven is registered again later, with one to four changes: a spelling of the same name
(Mohamed / Muhammad / Maxamed), a typo, given and family name swapped, day and month swapped, a
few days off, a year off, no given name at the first registration ("not yet named"), the
father missing, the mother's date of birth missing, another district, or the names in upper or
lower case.

    .venv/bin/python -m bench.gen_register --births 20000 --seed 1 --out DIR

writes ``DIR/register.csv`` (what a tool sees), ``DIR/truth.csv`` (``left_id,right_id``: every
pair of records of the same child), ``DIR/people.csv`` (per record: the child, the mother, the
delivery and the changes of a re-registration) and ``DIR/settings.json`` (dedupe settings as the
documentation shows them: kinds and roles, no weights). ``--births`` is the number of records.

From Python: ``generate(20000, seed=1)`` returns a :class:`Register`; ``small_register()`` is
the deterministic 1,000-record register the tests use.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate, combinations
from pathlib import Path
from typing import Any

# Given names: Muslim names first, then Christian ones; a region's ranking puts its own first.
MALE = [
    "Mohamed", "Ahmed", "Ali", "Hassan", "Hussein", "Abdi", "Omar", "Ibrahim", "Yusuf",
    "Abdullahi", "Ismail", "Osman", "Mustafa", "Suleiman", "Adam", "Hamza", "Bashir", "Khalid",
    "Abdirahman", "Said", "Juma", "Salim", "Rashid", "Idris", "Musa", "Issa", "Yakub", "Daud",
    "Bakari", "Hamisi", "Abubakar", "Ramadhan", "Shukri", "Nasir", "Faisal",
    "John", "Joseph", "Peter", "James", "David", "Daniel", "Samuel", "Michael", "Paul",
    "Emmanuel", "Brian", "Kevin", "Dennis", "Collins", "Victor", "Stephen", "George", "Francis",
    "Patrick", "Charles", "Moses", "Isaac", "Elijah", "Joshua", "Benjamin", "Simon", "Anthony",
    "Martin", "Felix", "Vincent", "Kennedy", "Evans", "Geoffrey", "Philip", "Wycliffe",
]  # fmt: skip
FEMALE = [
    "Fatima", "Amina", "Halima", "Khadija", "Aisha", "Zainab", "Mariam", "Hawa", "Asha", "Hodan",
    "Sahra", "Fadumo", "Ruqiya", "Hafsa", "Sumaya", "Nasra", "Ifrah", "Safiya", "Zahra", "Hibo",
    "Ayan", "Idil", "Nimo", "Hamdi", "Salma", "Rahma", "Mwanaisha", "Zuhura", "Rehema", "Neema",
    "Saida", "Latifa", "Jamila", "Habiba", "Najma",
    "Grace", "Mary", "Esther", "Ruth", "Faith", "Mercy", "Joyce", "Lucy", "Jane", "Anne",
    "Elizabeth", "Catherine", "Margaret", "Nancy", "Sarah", "Rose", "Agnes", "Winnie",
    "Caroline", "Irene", "Beatrice", "Christine", "Dorcas", "Eunice", "Sharon", "Diana", "Naomi",
    "Rebecca", "Janet", "Lilian", "Gladys", "Josephine", "Susan", "Alice", "Judith",
]  # fmt: skip
# Family names of three regions; a district draws most of its 80 from its own region.
REGIONS = [
    [
        "Mohamed", "Ahmed", "Ali", "Hassan", "Hussein", "Abdi", "Omar", "Ibrahim", "Yusuf",
        "Warsame", "Farah", "Jama", "Osman", "Nur", "Mohamud", "Aden", "Hirsi", "Egal", "Duale",
        "Guled", "Abdille", "Dahir", "Elmi", "Gedi", "Hashi", "Ismail", "Khalif", "Musse",
        "Olad", "Qasim", "Roble", "Samatar", "Shire", "Warfa", "Yasin", "Awale", "Bile",
        "Dirie", "Fidow", "Gabow", "Haji", "Isse", "Jibril", "Kahin", "Liban", "Maalim",
        "Mursal", "Nuh", "Salad", "Siad", "Sheikh", "Tahir", "Wehliye", "Abdulle", "Barre",
        "Burale", "Hersi", "Mahad", "Ugas", "Hamud",
    ],
    [
        "Otieno", "Ochieng", "Odhiambo", "Onyango", "Owino", "Omondi", "Okoth", "Ouma", "Odera",
        "Oduor", "Okello", "Achieng", "Atieno", "Akinyi", "Adhiambo", "Awuor", "Anyango",
        "Kiprop", "Kipchoge", "Kiptoo", "Kibet", "Cheruiyot", "Chebet", "Rotich", "Koech",
        "Langat", "Mutai", "Kosgei", "Kirui", "Ruto", "Kemboi", "Biwott", "Jeptoo", "Wafula",
        "Wanyama", "Barasa", "Simiyu", "Wekesa", "Nyongesa", "Masinde", "Shikuku", "Makokha",
        "Juma", "Wanjala", "Khaemba", "Namasaka", "Mukhwana", "Wamalwa", "Opiyo", "Obiero",
        "Ogola", "Oloo", "Ongeri", "Orwa", "Oyoo", "Okumu", "Ojwang", "Odongo", "Were", "Lagat",
    ],
    [
        "Kamau", "Mwangi", "Njoroge", "Kariuki", "Wanjiru", "Wambui", "Njeri", "Muthoni",
        "Wanjiku", "Kimani", "Maina", "Kinyua", "Githinji", "Macharia", "Ndungu", "Gitau",
        "Njuguna", "Karanja", "Mugo", "Waweru", "Mutua", "Musyoka", "Kioko", "Mwende", "Ndunda",
        "Kilonzo", "Mutinda", "Nzioka", "Muema", "Wambua", "Mbithi", "Mwikali", "Kyalo",
        "Mwaura", "Gachanja", "Chege", "Baraka", "Hamisi", "Bakari", "Mwinyi", "Salim",
        "Rashidi", "Athumani", "Ramadhani", "Mbaraka", "Swaleh", "Mzee", "Chiro", "Kazungu",
        "Karisa", "Baya", "Katana", "Charo", "Kahindi", "Mwamburi", "Mwakio", "Mwasi", "Nyaga",
        "Muriuki", "Gichuki",
    ],
]  # fmt: skip
# Spellings of the same name that registrars write (each member maps to the others).
SPELLINGS = [
    ["Mohamed", "Muhammad", "Mohammed", "Mohamad", "Maxamed"],
    ["Ahmed", "Ahmad", "Axmed"],
    ["Hassan", "Hasan", "Xasan"],
    ["Hussein", "Husein", "Hussain", "Xuseen"],
    ["Omar", "Umar", "Cumar"],
    ["Ibrahim", "Ebrahim", "Ibraahim"],
    ["Yusuf", "Yousef", "Yusuph", "Yussuf"],
    ["Abdullahi", "Abdallah", "Abdulahi", "Cabdullahi"],
    ["Ismail", "Ismael", "Ismaciil"],
    ["Osman", "Othman", "Usman", "Cusmaan"],
    ["Mustafa", "Mustapha"],
    ["Suleiman", "Sulaiman", "Suleyman"],
    ["Khalid", "Khaled"],
    ["Abdirahman", "Abdulrahman", "Abdurahman"],
    ["Said", "Saeed", "Saidi"],
    ["Rashid", "Rashidi", "Rasheed"],
    ["Idris", "Idriss"],
    ["Musa", "Mussa"],
    ["Issa", "Isa"],
    ["Yakub", "Yaqub", "Yakubu"],
    ["Daud", "Dawud", "Daudi"],
    ["Hamisi", "Hamis"],
    ["Ramadhan", "Ramadhani", "Ramadan"],
    ["Abubakar", "Abubakr", "Abubakari"],
    ["Joseph", "Josef"],
    ["Peter", "Petro"],
    ["Daniel", "Danieli"],
    ["Michael", "Micheal", "Mikael"],
    ["Emmanuel", "Emanuel", "Immanuel"],
    ["Stephen", "Steven"],
    ["Francis", "Fransis"],
    ["Isaac", "Isack", "Isaack"],
    ["Elijah", "Eliya"],
    ["Geoffrey", "Jeffrey", "Geofrey"],
    ["Philip", "Phillip", "Filipo"],
    ["Kennedy", "Kenedy"],
    ["Wycliffe", "Wycliff"],
    ["Fatima", "Fatuma", "Fatimah"],
    ["Amina", "Aminah", "Aamina"],
    ["Halima", "Halimah", "Xaliimo"],
    ["Khadija", "Khadijah", "Hadija", "Kadija"],
    ["Aisha", "Ayesha", "Aysha", "Caasha"],
    ["Zainab", "Zeinab", "Zaynab"],
    ["Mariam", "Maryam", "Miriam", "Maryan"],
    ["Hawa", "Hawaa", "Xawa"],
    ["Ruqiya", "Rukia", "Rukiya"],
    ["Hafsa", "Hafsah", "Xafsa"],
    ["Sumaya", "Sumaiya", "Somaya"],
    ["Safiya", "Safia"],
    ["Zahra", "Zahara"],
    ["Rehema", "Rehama"],
    ["Neema", "Nema"],
    ["Catherine", "Katherine", "Kathryn"],
    ["Elizabeth", "Elisabeth"],
    ["Margaret", "Margret"],
    ["Esther", "Ester"],
    ["Anne", "Ann", "Anna"],
    ["Sarah", "Sara"],
    ["Josephine", "Josphine"],
    ["Lilian", "Lillian"],
    ["Rebecca", "Rebekah"],
    ["Caroline", "Carolyne"],
    ["Ochieng", "Ochieng'"],
    ["Otieno", "Otiyeno"],
    ["Odhiambo", "Odiambo"],
    ["Onyango", "Onyang'o"],
    ["Okoth", "Okot"],
    ["Cheruiyot", "Cheruyot"],
    ["Wekesa", "Wekessa"],
    ["Nyongesa", "Nyongessa"],
    ["Ndungu", "Ndung'u"],
    ["Kamau", "Kamao"],
    ["Macharia", "Macharya"],
    ["Athumani", "Athuman"],
    ["Mohamud", "Mahmoud", "Mohamoud"],
    ["Warsame", "Warsama"],
    ["Farah", "Farrah"],
    ["Nur", "Noor"],
    ["Aden", "Adan"],
    ["Hirsi", "Hersi"],
    ["Sheikh", "Shekh"],
]
VARIANTS: dict[str, list[str]] = {
    name: [other for other in group if other != name] for group in SPELLINGS for name in group
}
DISTRICTS_PER_REGION = 4
OWN_FAMILY_NAMES = 56  # of a district's 80; the rest come from the other regions
POOL_SIZE = 80
ZIPF_GIVEN = 1.0
ZIPF_FAMILY = 0.8
RE_REGISTERED = 0.14  # children registered a second time
TWICE_RE_REGISTERED = 0.015  # ... and a third time
CHANGE_COUNTS = (1, 2, 3, 4)
CHANGE_WEIGHTS = (0.4, 0.3, 0.2, 0.1)
CHANGES = (
    "spelling", "typo", "swap_names", "swap_day_month", "days_off", "year_off",
    "unnamed_first", "father_missing", "mother_dob_missing", "district", "case",
)  # fmt: skip
TWINS = 0.02  # deliveries
TRIPLETS = 0.001
NO_FATHER = 0.08
NO_MOTHER_DOB = 0.05
FIRST_YEAR, LAST_YEAR = 2000, 2025
COLUMNS = (
    "rec_id", "given_name", "family_name", "sex", "date_of_birth", "mother_name",
    "mother_date_of_birth", "father_name", "district", "type_of_birth",
)  # fmt: skip
NAME_COLUMNS = ("given_name", "family_name", "mother_name", "father_name")

#: Dedupe settings as the documentation shows them: kinds and roles, weights learnt.
SETTINGS: dict[str, object] = {
    "id_column": "rec_id",
    "fields": [
        {"column": "given_name", "kind": "name", "role": "given_name"},
        {"column": "family_name", "kind": "name", "role": "family_name"},
        {"column": "date_of_birth", "kind": "date", "format": "%Y-%m-%d", "role": "date_of_birth"},
        {"column": "sex", "kind": "exact"},
        {"column": "mother_name", "kind": "name", "role": "mother"},
        {"column": "mother_date_of_birth", "kind": "date", "format": "%Y-%m-%d"},
        {"column": "father_name", "kind": "name"},
        {"column": "district", "kind": "exact"},
        {"column": "type_of_birth", "kind": "exact"},
    ],
}


def settings() -> dict[str, Any]:
    """Return the documented settings, with the ``multiple_birth`` role where dedupe has it."""
    out: dict[str, Any] = json.loads(json.dumps(SETTINGS))
    try:
        from dedupe.settings import ROLES
    except ImportError:  # pragma: no cover - the bench runs beside the library
        return out
    if "multiple_birth" in ROLES:
        for spec in out["fields"]:
            if spec["column"] == "type_of_birth":
                spec["role"] = "multiple_birth"
    return out


@dataclass
class Register:
    """A generated register and its truth.

    Attributes:
        rows: The records, as a tool reads them (``COLUMNS``, all strings).
        person: Record id -> the child it registers.
        mother: Record id -> the child's mother.
        delivery: Record id -> the delivery (twins and triplets share one).
        changes: Record id of a re-registration -> the changes it carries against the
            child's first registration.
        first: Record id of a re-registration -> the record id of the first registration.
    """

    rows: list[dict[str, str]]
    person: dict[str, str] = field(default_factory=dict)
    mother: dict[str, str] = field(default_factory=dict)
    delivery: dict[str, str] = field(default_factory=dict)
    changes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    first: dict[str, str] = field(default_factory=dict)

    def _pairs(self, same: dict[str, str], differ: dict[str, str] | None) -> set[frozenset[str]]:
        groups: dict[str, list[str]] = {}
        for rec_id, key in same.items():
            groups.setdefault(key, []).append(rec_id)
        return {
            frozenset((a, b))
            for members in groups.values()
            for a, b in combinations(members, 2)
            if differ is None or differ[a] != differ[b]
        }

    def truth_pairs(self) -> set[frozenset[str]]:
        """Every pair of records of the same child."""
        return self._pairs(self.person, None)

    def twin_pairs(self) -> set[frozenset[str]]:
        """Pairs of records of different children born in the same delivery."""
        return self._pairs(self.delivery, self.person)

    def sibling_pairs(self) -> set[frozenset[str]]:
        """Pairs of records of children of the same mother born in different deliveries."""
        return self._pairs(self.mother, self.delivery)


def _zipf(count: int, exponent: float) -> list[float]:
    return list(accumulate(1.0 / (rank + 1) ** exponent for rank in range(count)))


@dataclass
class _Pools:
    names: list[list[str]]  # per pool
    weights: list[list[float]]  # cumulative

    def draw(self, rng: random.Random, pool: int) -> str:
        return rng.choices(self.names[pool], cum_weights=self.weights[pool])[0]


def _given_pools(rng: random.Random, names: list[str]) -> _Pools:
    """One ranking per region: region 0 Muslim names first, region 1 Christian first, 2 mixed."""
    half = len(names) // 2
    muslim, christian = names[:half], names[half:]
    orders = []
    for region in range(len(REGIONS)):
        a, b = muslim[:], christian[:]
        rng.shuffle(a)
        rng.shuffle(b)
        if region == 0:
            orders.append(a + b)
        elif region == 1:
            orders.append(b + a)
        else:
            orders.append([n for pair in zip(a, b, strict=False) for n in pair] + a[len(b) :])
    weights = _zipf(len(names), ZIPF_GIVEN)
    return _Pools(orders, [weights] * len(orders))


def _family_pools(rng: random.Random) -> _Pools:
    pools = []
    for region, own in enumerate(REGIONS):
        others = sorted({n for r, names in enumerate(REGIONS) if r != region for n in names})
        for _ in range(DISTRICTS_PER_REGION):
            mine = rng.sample(own, min(OWN_FAMILY_NAMES, len(own)))
            foreign = [n for n in rng.sample(others, POOL_SIZE) if n not in mine]
            pool = (mine + foreign)[:POOL_SIZE]
            rng.shuffle(pool)
            pools.append(pool)
    weights = _zipf(POOL_SIZE, ZIPF_FAMILY)
    return _Pools(pools, [weights] * len(pools))


def _typo(rng: random.Random, text: str) -> str:
    """One keying error: substitute, drop, double or transpose a letter (never a no-op)."""
    if len(text) < 3:
        return text + rng.choice("aeiou")
    for _ in range(10):
        at = rng.randrange(1, len(text))
        kind = rng.randrange(4)
        if kind == 0:
            out = text[:at] + rng.choice("aeioumnrstkhy") + text[at + 1 :]
        elif kind == 1:
            out = text[:at] + text[at + 1 :]
        elif kind == 2:
            out = text[:at] + text[at] + text[at:]
        else:
            at = min(at, len(text) - 2)
            out = text[:at] + text[at + 1] + text[at] + text[at + 2 :]
        if out != text:
            return out
    return text + "h"


def _respell(rng: random.Random, name: str) -> str | None:
    variants = VARIANTS.get(name)
    return rng.choice(variants) if variants else None


def _apply(
    rng: random.Random, change: str, row: dict[str, str], first: dict[str, str], districts: int
) -> bool:
    """Apply one change to the re-registration ``row`` (or to ``first``); False if it cannot."""
    if change == "spelling":
        columns = [c for c in NAME_COLUMNS if row[c] and _respell(rng, row[c].split()[0])]
        if not columns:
            return False
        column = rng.choice(columns)
        head, *rest = row[column].split()
        row[column] = " ".join([_respell(rng, head) or head, *rest])
    elif change == "typo":
        columns = [c for c in NAME_COLUMNS if row[c]]
        column = rng.choice(columns)
        words = row[column].split()
        at = rng.randrange(len(words))
        words[at] = _typo(rng, words[at])
        row[column] = " ".join(words)
    elif change == "swap_names":
        if not row["given_name"] or row["given_name"] == row["family_name"]:
            return False
        row["given_name"], row["family_name"] = row["family_name"], row["given_name"]
    elif change in ("swap_day_month", "days_off", "year_off"):
        born = date.fromisoformat(row["date_of_birth"])
        if change == "swap_day_month":
            if born.day > 12 or born.day == born.month:
                return False
            born = born.replace(month=born.day, day=born.month)
        elif change == "days_off":
            born += timedelta(days=rng.choice((-4, -3, -2, -1, 1, 2, 3, 4)))
        else:
            shift = rng.choice((-1, 1))
            born = born.replace(year=born.year + shift, day=min(born.day, 28))
        row["date_of_birth"] = born.isoformat()
    elif change == "unnamed_first":
        if not first["given_name"] or first is row:
            return False
        first["given_name"] = "" if rng.random() < 0.8 else "Baby"
    elif change == "father_missing":
        if not row["father_name"]:
            return False
        row["father_name"] = ""
    elif change == "mother_dob_missing":
        if not row["mother_date_of_birth"]:
            return False
        row["mother_date_of_birth"] = ""
    elif change == "district":
        here = int(row["district"][1:]) - 1  # codes are D01..Dnn
        row["district"] = f"D{(here + rng.randrange(1, districts)) % districts + 1:02d}"
    else:  # case
        fold = str.upper if rng.random() < 0.6 else str.lower
        for column in NAME_COLUMNS:
            row[column] = fold(row[column])
    return True


def generate(births: int, seed: int = 0) -> Register:
    """Return a register of ``births`` records with its truth (deterministic for a seed).

    Args:
        births: Number of records (first registrations and late re-registrations).
        seed: Seed of every random draw.

    Returns:
        The rows (shuffled, with ids ``r0000001``… that carry no truth) and the truth maps.
    """
    rng = random.Random(seed)
    male = _given_pools(rng, MALE)
    female = _given_pools(rng, FEMALE)
    family = _family_pools(rng)
    districts = len(family.names)
    made: list[tuple[dict[str, str], str, str, str, tuple[str, ...], int]] = []
    # (row, child, mother, delivery, changes, index of the first registration or -1)
    mothers = deliveries = children = 0
    while len(made) < births:
        mothers += 1
        pool = rng.randrange(districts)
        region = pool // DISTRICTS_PER_REGION
        district = f"D{pool + 1:02d}"
        mother_name = f"{female.draw(rng, region)} {family.draw(rng, pool)}"
        father_given = male.draw(rng, region)
        surname = family.draw(rng, pool)
        father = "" if rng.random() < NO_FATHER else f"{father_given} {surname}"
        if not father:
            surname = mother_name.split()[1]
        first_birth = date(FIRST_YEAR, 1, 1) + timedelta(
            days=rng.randrange((LAST_YEAR - FIRST_YEAR + 1) * 365)
        )
        mother_born = first_birth - timedelta(days=rng.randint(17 * 365, 38 * 365))
        mother_dob = "" if rng.random() < NO_MOTHER_DOB else mother_born.isoformat()
        n_deliveries = min(1 + int(rng.expovariate(1 / 1.6)), 8)
        born = first_birth
        used: set[str] = set()
        for _ in range(n_deliveries):
            if born.year > LAST_YEAR:
                break
            deliveries += 1
            roll = rng.random()
            size = 3 if roll < TRIPLETS else 2 if roll < TRIPLETS + TWINS else 1
            kind = {1: "single", 2: "twin", 3: "triplet"}[size]
            first_sex = rng.choice("MF")
            for _ in range(size):
                children += 1
                sex = first_sex if size > 1 and rng.random() < 0.6 else rng.choice("MF")
                pools = male if sex == "M" else female
                given = pools.draw(rng, region)
                while given in used:
                    given = pools.draw(rng, region)
                used.add(given)
                row = {
                    "given_name": given,
                    "family_name": surname,
                    "sex": sex,
                    "date_of_birth": born.isoformat(),
                    "mother_name": mother_name,
                    "mother_date_of_birth": mother_dob,
                    "father_name": father,
                    "district": district,
                    "type_of_birth": kind,
                }
                child, mum, dlv = f"c{children}", f"m{mothers}", f"d{deliveries}"
                first_at = len(made)
                made.append((row, child, mum, dlv, (), -1))
                extra = 0
                if rng.random() < RE_REGISTERED:
                    extra = 2 if rng.random() < TWICE_RE_REGISTERED / RE_REGISTERED else 1
                for _ in range(extra):
                    copy = dict(row)
                    wanted = rng.choices(CHANGE_COUNTS, weights=CHANGE_WEIGHTS)[0]
                    applied: list[str] = []
                    for change in rng.sample(CHANGES, len(CHANGES)):
                        if len(applied) == wanted:
                            break
                        if change == "unnamed_first" and extra > 1:
                            continue
                        # The case of the names changes last, after any respelling or typo.
                        if change == "case" or _apply(
                            rng, change, copy, made[first_at][0], districts
                        ):
                            applied.append(change)
                    if "case" in applied:
                        _apply(rng, "case", copy, made[first_at][0], districts)
                    made.append((copy, child, mum, dlv, tuple(applied), first_at))
            born += timedelta(days=rng.randint(304, 5 * 365))
    made = made[:births]
    order = list(range(len(made)))
    rng.shuffle(order)
    ids = {index: f"r{position + 1:07d}" for position, index in enumerate(order)}
    register = Register(rows=[])
    for index in order:
        row, child, mum, dlv, changed, first_at = made[index]
        rec_id = ids[index]
        register.rows.append({"rec_id": rec_id, **row})
        register.person[rec_id] = child
        register.mother[rec_id] = mum
        register.delivery[rec_id] = dlv
        if first_at >= 0:
            register.changes[rec_id] = changed
            register.first[rec_id] = ids[first_at]
    return register


def small_register(seed: int = 0) -> Register:
    """The deterministic 1,000-record register of the tests."""
    return generate(1000, seed)


def write(register: Register, out: Path) -> None:
    """Write ``register.csv``, ``truth.csv``, ``people.csv`` and ``settings.json`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "register.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(register.rows)
    with (out / "truth.csv").open("w", newline="", encoding="utf-8") as handle:
        writer_ = csv.writer(handle)
        writer_.writerow(["left_id", "right_id"])
        writer_.writerows(sorted(sorted(pair) for pair in register.truth_pairs()))
    with (out / "people.csv").open("w", newline="", encoding="utf-8") as handle:
        writer_ = csv.writer(handle)
        writer_.writerow(["rec_id", "person_id", "mother_id", "delivery_id", "first_id", "changes"])
        for row in register.rows:
            rec_id = row["rec_id"]
            writer_.writerow(
                [
                    rec_id,
                    register.person[rec_id],
                    register.mother[rec_id],
                    register.delivery[rec_id],
                    register.first.get(rec_id, ""),
                    " ".join(register.changes.get(rec_id, ())),
                ]
            )
    (out / "settings.json").write_text(json.dumps(settings(), indent=2) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--births", type=int, default=20_000, help="number of records")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="directory to write")
    args = parser.parse_args()
    register = generate(args.births, args.seed)
    write(register, args.out)
    print(
        f"{len(register.rows):,} records, {len(set(register.person.values())):,} children, "
        f"{len(register.truth_pairs()):,} duplicate pairs, {len(register.twin_pairs()):,} twin "
        f"pairs, {len(register.sibling_pairs()):,} sibling pairs -> {args.out}"
    )


if __name__ == "__main__":
    main()
