"""``crvs dedupe scan``: the register re-keyed and re-scored on dedupe's batch path."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from registry.cli import main
from registry.domain import EventType, Status
from registry.models import Area, AuditEvent, DedupeKey, DuplicateCandidate, Record
from registry.schemas.records import BirthIn, DeathIn
from registry.services import dedupe_scan, match_models, records, users
from registry.services.scoping import Actor
from tests.factories import SETTINGS, birth, death

GIVEN = ["Amina", "Zawadi", "Neema", "Baraka", "Juma", "Halima", "Imani", "Rehema"]
FAMILY = ["Otieno", "Kamau", "Barasa", "Wanjiru", "Mwangi", "Achieng"]
MOTHERS = ["Grace", "Mary", "Faith", "Esther", "Ruth", "Agnes", "Joyce"]


@pytest.fixture(autouse=True)
def _no_cached_model() -> Iterator[None]:
    yield
    match_models.forget()


def system(session: Session) -> Actor:
    return users.system_actor(session, SETTINGS)


def declare(session: Session, body: dict[str, Any]) -> Record:
    return records.declare(session, system(session), EventType.BIRTH, BirthIn().load(body))


def child(
    given: str, family: str, days_old: int, mother: str, place: str = "F111", **child: Any
) -> dict[str, Any]:
    return birth(
        days_old,
        child={"given_names": given, "family_name": family, **child},
        mother={"given_names": mother, "family_name": family},
        place={"type": "health_facility", "facility_code": place},
    )


def small_register(session: Session, seed: int = 7) -> list[Record]:
    """Thirty children from small name pools, with late re-registrations of some of them."""
    rng = random.Random(seed)
    made: list[Record] = []
    people = []
    for _ in range(30):
        person = (
            rng.choice(GIVEN),
            rng.choice(FAMILY),
            rng.randint(20, 900),
            rng.choice(MOTHERS),
            rng.choice(["F111", "F121", "F211"]),
        )
        people.append(person)
        made.append(declare(session, child(*person)))
    for given, family, days_old, mother, place in rng.sample(people, 8):
        variant = given[:-1] + ("h" if given[-1] != "h" else "a")  # a spelling variant
        made.append(declare(session, child(variant, family, days_old, mother, place)))
    return made


def pairs(session: Session) -> dict[frozenset[str], float]:
    rows = session.execute(
        select(
            DuplicateCandidate.record_id,
            DuplicateCandidate.existing_id,
            DuplicateCandidate.probability,
        )
    )
    return {frozenset((a, b)): p for a, b, p in rows}


def forget_pairs(session: Session) -> None:
    """As if the records had been loaded without matching (a bulk load, an old release)."""
    session.execute(delete(DuplicateCandidate))
    session.flush()


def scan(session: Session, area: str | None = None) -> dedupe_scan.ScanResult:
    path = None
    if area is not None:
        path = session.scalars(select(Area.path).where(Area.code == area)).one()
    return dedupe_scan.scan(session, EventType.BIRTH, area_path=path)


def test_the_scan_finds_the_pairs_the_declarations_found(session: Session) -> None:
    """It stores the same pairs, with the same probabilities, as the per-declaration look-up."""
    small_register(session)
    found_one_by_one = pairs(session)
    assert len(found_one_by_one) >= 8
    forget_pairs(session)
    result = scan(session)
    assert result.records == 38
    assert result.new == len(found_one_by_one)
    by_scan = pairs(session)
    assert set(by_scan) == set(found_one_by_one)
    for pair, probability in found_one_by_one.items():
        assert by_scan[pair] == pytest.approx(probability)


def test_the_newer_record_is_the_one_held_for_review(session: Session) -> None:
    """It stores the later declaration as the suspected duplicate of the earlier one."""
    first = declare(session, child("Amina", "Otieno", 40, "Grace"))
    second = declare(session, child("Aminah", "Otieno", 40, "Grace"))
    forget_pairs(session)
    assert scan(session).new == 1
    stored = session.scalars(select(DuplicateCandidate)).one()
    assert (stored.record_id, stored.existing_id) == (second.id, first.id)
    assert stored.status == "open"
    fields = {e["field"]: e for e in stored.explanation if "field" in e}
    assert fields["given_names"]["left"] != fields["given_names"]["right"]


def test_a_second_scan_stores_nothing_and_never_reopens_a_decision(session: Session) -> None:
    """It skips pairs already stored in either direction, open or decided."""
    small_register(session)
    forget_pairs(session)
    first = scan(session)
    assert first.new > 0
    decided = session.scalars(select(DuplicateCandidate)).first()
    assert decided is not None
    decided.status = "not_duplicate"
    other = session.scalars(
        select(DuplicateCandidate).where(DuplicateCandidate.id != decided.id)
    ).first()
    assert other is not None
    # The same pair stored the other way round (as the old scan did) counts as stored.
    other.record_id, other.existing_id = other.existing_id, other.record_id
    session.flush()
    before = pairs(session)
    again = scan(session)
    assert again.new == 0
    assert again.found == first.found
    assert pairs(session) == before
    session.refresh(decided)
    assert decided.status == "not_duplicate"


def test_each_new_suspected_duplicate_is_audited(session: Session) -> None:
    """It writes one duplicate_suspected event per new pair, in the scan's transaction."""
    small_register(session)
    forget_pairs(session)
    session.commit()
    seen = set(session.scalars(select(AuditEvent.id)))
    result = scan(session)
    session.commit()
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "duplicate_suspected", AuditEvent.id.not_in(seen)
        )
    ).all()
    assert len(events) == result.new > 0
    stored = {(c.record_id, c.existing_id) for c in session.scalars(select(DuplicateCandidate))}
    audited = {(e.record_id, json.loads(e.details)["existing"]) for e in events}
    assert audited == stored
    assert all(json.loads(e.details)["scan"] is True for e in events)


def test_the_scan_keeps_to_the_area_and_its_neighbours(session: Session) -> None:
    """It pairs records inside the area with each other and with records elsewhere, never two
    records that both lie outside it."""
    inside = declare(session, child("Amina", "Otieno", 40, "Grace", "F111"))
    inside_again = declare(session, child("Aminah", "Otieno", 40, "Grace", "F121"))
    elsewhere = declare(session, child("Juma", "Kamau", 90, "Ruth", "F211"))
    elsewhere_again = declare(session, child("Jumah", "Kamau", 90, "Ruth", "F211"))
    crossing = declare(session, child("Neema", "Barasa", 60, "Faith", "F211"))
    crossing_again = declare(session, child("Neemah", "Barasa", 60, "Faith", "F111"))
    forget_pairs(session)
    result = scan(session, area="D11")
    assert result.records == 2  # Amina and the second Neema were born in D11
    assert set(pairs(session)) == {
        frozenset((inside.id, inside_again.id)),
        frozenset((crossing.id, crossing_again.id)),
    }
    result = scan(session, area="D21")
    assert result.new == 1
    assert frozenset((elsewhere.id, elsewhere_again.id)) in pairs(session)


def test_two_registered_records_of_one_person_are_stored_as_a_pair(session: Session) -> None:
    """It stores a pair of registered records (a registrar cancels one of them)."""
    actor = system(session)
    first = declare(session, child("Halima", "Mwangi", 200, "Joyce"))
    records.register(session, SETTINGS, actor, EventType.BIRTH, first.id, reason="late")
    second = declare(session, child("Halimah", "Mwangi", 200, "Joyce"))
    forget_pairs(session)  # loaded without matching, then registered
    records.register(session, SETTINGS, actor, EventType.BIRTH, second.id, reason="late")
    assert scan(session).new == 1
    stored = session.scalars(select(DuplicateCandidate)).one()
    assert {stored.record.status, stored.existing.status} == {Status.REGISTERED}


def test_a_notification_is_neither_flagged_nor_completed_by_a_scan(session: Session) -> None:
    """It leaves a notification and its matching declaration to the declaration's own path."""
    declared = declare(session, child("Rehema", "Achieng", 30, "Esther"))
    notified = declare(session, {**child("Rehema", "Achieng", 30, "Esther"), "notification": True})
    assert notified.status == Status.NOTIFIED
    assert scan(session).new == 0
    session.refresh(notified)
    session.refresh(declared)
    assert notified.status == Status.NOTIFIED
    assert declared.notification_id is None


def test_the_scan_rewrites_stale_blocking_keys(session: Session) -> None:
    """It restores the keys the look-up would store, and only writes those that changed."""
    record = declare(session, child("Imani", "Wanjiru", 50, "Agnes"))
    stored = set(session.scalars(select(DedupeKey.key).where(DedupeKey.record_id == record.id)))
    session.execute(delete(DedupeKey).where(DedupeKey.record_id == record.id))
    session.add(DedupeKey(record_id=record.id, key="birth|0:stale|2020"))
    session.flush()
    result = scan(session)
    assert (result.keys_added, result.keys_removed) == (len(stored), 1)
    now = set(session.scalars(select(DedupeKey.key).where(DedupeKey.record_id == record.id)))
    assert now == stored
    assert scan(session).keys_added == scan(session).keys_removed == 0


def test_scan_keys_equal_the_look_up_keys(session: Session) -> None:
    """The batch path keys every record exactly as a declaration is keyed."""
    made = small_register(session, seed=3)
    before = {(r, k) for r, k in session.execute(select(DedupeKey.record_id, DedupeKey.key))}
    result = scan(session)
    assert (result.keys_added, result.keys_removed) == (0, 0)
    assert {r for r, _ in before} == {m.id for m in made}


def test_a_scan_of_deaths_links_each_to_the_birth_of_the_same_person(session: Session) -> None:
    """It links an unlinked death to the birth record of the same person, audited, and leaves
    a stranger's death unlinked."""
    born = declare(session, child("Juma", "Barasa", 200, "Faith"))
    actor = system(session)
    deceased = {"given_names": "Juma", "family_name": "Barasa", "sex": "male"}
    deceased["date_of_birth"] = born.versions[0].date_of_birth.isoformat()
    died = records.declare(
        session, actor, EventType.DEATH, DeathIn().load(death(3, deceased=deceased))
    )
    stranger = records.declare(
        session,
        actor,
        EventType.DEATH,
        DeathIn().load(death(3, deceased={"given_names": "Kiprono", "family_name": "Chebet"})),
    )
    died.birth_record_id = None  # as if declared before the birth was on the register
    session.flush()
    session.commit()
    seen = set(session.scalars(select(AuditEvent.id)))
    result = dedupe_scan.scan(session, EventType.DEATH)
    session.commit()
    assert result.linked == 1
    session.refresh(died)
    session.refresh(stranger)
    assert (died.birth_record_id, stranger.birth_record_id) == (born.id, None)
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "linked_birth", AuditEvent.id.not_in(seen))
    ).all()
    assert [(e.record_id, json.loads(e.details)["birth"]) for e in events] == [(died.id, born.id)]
    assert dedupe_scan.scan(session, EventType.DEATH).linked == 0


# -- the command line ----------------------------------------------------------------------------


def crvs(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_the_scan_command_reports_and_is_idempotent(db_url: str) -> None:
    """It prints one summary line, shows progress on stderr, and a rerun finds nothing new."""
    assert crvs("demo", "--births", "60", "--deaths", "10").exit_code == 0
    first = crvs("dedupe", "scan")
    assert first.exit_code == 0, first.stderr
    assert first.stdout.startswith("scanned ")
    assert "birth: reading" in first.stderr
    again = crvs("dedupe", "scan", "--event-type", "births")
    assert again.exit_code == 0, again.stderr
    assert again.stdout.endswith("; 0 new suspected duplicate(s)\n")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--area", "NOPE"], 1, "error: unknown area code 'NOPE'"),
        (["--event-type", "marriages"], 2, "Invalid value for '--event-type'"),
    ],
)
def test_the_scan_command_rejects_bad_options(
    db_url: str, args: list[str], code: int, message: str
) -> None:
    """It exits non-zero with a line naming the bad option, never a traceback."""
    assert crvs("demo", "--births", "5").exit_code == 0
    result = crvs("dedupe", "scan", *args)
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr
