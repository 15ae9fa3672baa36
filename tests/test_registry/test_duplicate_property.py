"""The record life cycle as a state machine (issue 12, SECURITY.md I6 and I11).

Users of different areas declare, decide, resubmit, amend, register, reject, reopen and cancel
in random order, through the services exactly as the API calls them (one transaction per
action, rolled back when the action is refused). After every step:

- the register never holds two registered, uncancelled records linked as duplicates, and no
  pair decided "duplicate" has both records registered;
- every audit event of the step was written by a user whose area covers the record it names,
  so no user changed a record outside their area.

A few persons with spelling variants, born in two districts, make duplicates likely. The run is
bounded (a fixed number of examples and steps) to stay well under a minute per backend.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, aliased

from registry.db import make_sessionmaker
from registry.domain import EventType, Status
from registry.errors import RegistryError
from registry.models import Area, AuditEvent, DuplicateCandidate, Record, User
from registry.schemas.records import schema_for
from registry.services import audit, cancellation, duplicates, records, users
from registry.services.scoping import Actor
from tests import factories

PEOPLE = [
    # (given names spellings, family name, mother's given name)
    (("Achieng Joy", "Achieng Joi"), "Nyambura", "Wairimu"),
    (("Zawadi", "Zawady"), "Kiprotich", "Chepkoech"),
]
FACILITIES = ("F111", "F211")
CLERKS = ("clerk", "clerk.d21")
REGISTRARS = ("registrar", "registrar.r1", "registrar.d21", "registrar.dl")
EVERYONE = CLERKS + REGISTRARS
SEED = [
    ("clerk.d21", 0, 0, "F211", True),
    ("clerk", 0, 0, "F111", False),
    ("clerk", 0, 1, "F111", False),
    ("clerk.d21", 1, 0, "F211", False),
    ("clerk", 1, 1, "F111", False),
]


def body(person: int, spelling: int, facility: str, notify: bool = False) -> dict[str, Any]:
    spellings, family, mother = PEOPLE[person]
    raw: dict[str, Any] = {
        "notification": True,
        "child": {"sex": "female", "date_of_birth": factories.days_ago(10 + person).isoformat()},
        "place": {"type": "health_facility", "facility_code": facility},
        "mother": {"given_names": mother, "family_name": family},
    }
    if not notify:
        raw = factories.birth(
            None,
            child={
                "given_names": spellings[spelling],
                "family_name": family,
                "date_of_birth": factories.days_ago(10 + person).isoformat(),
            },
            mother={"given_names": mother, "family_name": family},
            place={"type": "health_facility", "facility_code": facility},
        )
    loaded: dict[str, Any] = schema_for(EventType.BIRTH).load(raw)
    return loaded


def run_machine(connection: Connection) -> None:
    maker = make_sessionmaker(connection, join_transaction_mode="create_savepoint")
    with maker() as session:  # a registrar of the whole country: covers every pair
        users.create_user(
            session,
            factories.SETTINGS,
            username="registrar.dl",
            password=factories.PASSWORD,
            role="registrar",
            area_code="DL",
        )
        session.commit()

    class Register(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.outer = connection.begin_nested()
            self.session: Session = maker()
            found = self.session.scalars(select(User).where(User.username.in_(EVERYONE)))
            self.actors = {u.username: Actor.from_user(u) for u in found}
            self.paths = dict(self.session.execute(select(Area.code, Area.path)).all())
            self.records: list[str] = []
            self.seen_seq = (
                self.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())) or 0
            )

        def teardown(self) -> None:
            self.session.close()
            self.outer.rollback()

        def act(self, action: Any) -> Any:
            """One request: the action and a commit, or a rollback when it is refused."""
            try:
                result = action()
                self.session.commit()
            except RegistryError:
                self.session.rollback()
                audit.discard(self.session)
                result = None
            self.session.info.pop(records.CURRENT, None)
            return result

        def pick(self, index: int, *statuses: Status) -> str | None:
            """A record in one of ``statuses`` (the actions worth trying), by index."""
            ids = self.session.scalars(
                select(Record.id)
                .where(Record.id.in_(self.records), Record.status.in_(statuses))
                .order_by(Record.created_at, Record.id)
            ).all()
            return ids[index % len(ids)] if ids else None

        def pair(self, index: int, *statuses: str) -> str | None:
            ids = self.session.scalars(
                select(DuplicateCandidate.id)
                .where(DuplicateCandidate.status.in_(statuses))
                .order_by(DuplicateCandidate.created_at, DuplicateCandidate.id)
            ).all()
            return ids[index % len(ids)] if ids else None

        @initialize()
        def seed(self) -> None:
            """A D21 notification and two pairs: one inside D11, one across D11 and D21."""
            for who, person, spelling, facility, notify in SEED:
                self.declare(who, person, spelling, facility, notify)

        def registered_pair(self, index: int) -> str | None:
            """A pair whose records are both registered (what a cancellation resolves), else
            any pair."""
            newer, existing = aliased(Record), aliased(Record)
            ids = self.session.scalars(
                select(DuplicateCandidate.id)
                .join(newer, newer.id == DuplicateCandidate.record_id)
                .join(existing, existing.id == DuplicateCandidate.existing_id)
                .where(newer.status == Status.REGISTERED, existing.status == Status.REGISTERED)
                .order_by(DuplicateCandidate.created_at, DuplicateCandidate.id)
            ).all()
            if ids:
                return ids[index % len(ids)]
            return self.pair(index, "open", "not_duplicate", "duplicate")

        @rule(
            who=st.sampled_from(EVERYONE),
            person=st.integers(0, 1),
            spelling=st.integers(0, 1),
            facility=st.sampled_from(FACILITIES),
            notify=st.booleans(),
        )
        def declare(
            self, who: str, person: int, spelling: int, facility: str, notify: bool = False
        ) -> None:
            facts = body(person, spelling, facility, notify)
            actor = self.actors[who]
            record = self.act(lambda: records.declare(self.session, actor, EventType.BIRTH, facts))
            if record is not None:
                self.records.append(record.id)

        def update(
            self, statuses: tuple[Status, ...], who: str, index: int, person: int, spelling: int
        ) -> None:
            record_id, actor = self.pick(index, *statuses), self.actors[who]
            if record_id is None:
                return
            # Mostly the record's own facility (the common fix), sometimes the other district's.
            record = self.session.get(Record, record_id)
            assert record is not None
            own = "F211" if record.area_path.endswith("/D21/") else "F111"
            facility = own if index % 4 else FACILITIES[(FACILITIES.index(own) + 1) % 2]
            facts = body(person, spelling, facility)
            self.act(
                lambda: records.update_declaration(
                    self.session, actor, EventType.BIRTH, record_id, facts
                )
            )

        @rule(
            who=st.sampled_from(EVERYONE),
            index=st.integers(0, 20),
            person=st.integers(0, 1),
            spelling=st.integers(0, 1),
        )
        def resubmit(self, who: str, index: int, person: int, spelling: int) -> None:
            self.update((Status.REJECTED,), who, index, person, spelling)

        @rule(
            who=st.sampled_from(EVERYONE),
            index=st.integers(0, 20),
            person=st.integers(0, 1),
            spelling=st.integers(0, 1),
        )
        def amend(self, who: str, index: int, person: int, spelling: int) -> None:
            self.update((Status.NOTIFIED, Status.DECLARED), who, index, person, spelling)

        @rule(who=st.sampled_from(REGISTRARS), index=st.integers(0, 20))
        def register(self, who: str, index: int) -> None:
            record_id, actor = self.pick(index, Status.DECLARED, Status.REJECTED), self.actors[who]
            if record_id is not None:
                self.act(
                    lambda: records.register(
                        self.session, factories.SETTINGS, actor, EventType.BIRTH, record_id
                    )
                )

        @rule(who=st.sampled_from(REGISTRARS), index=st.integers(0, 20))
        def clear_and_register(self, who: str, index: int) -> None:
            """ "Not a duplicate" on every open pair of a declaration, then register it, one
            request each: wrong decisions that leave two registrations of one person, the
            case a cancellation resolves."""
            record_id, actor = self.pick(index, Status.DECLARED), self.actors[who]
            if record_id is None:
                return
            for pair in self.session.scalars(
                select(DuplicateCandidate.id).where(
                    DuplicateCandidate.record_id == record_id, DuplicateCandidate.status == "open"
                )
            ).all():
                self.act(
                    lambda pair=pair: duplicates.decide(
                        self.session, actor, pair, "not_duplicate", None
                    )
                )
            self.act(
                lambda: records.register(
                    self.session, factories.SETTINGS, actor, EventType.BIRTH, record_id
                )
            )

        @rule(who=st.sampled_from(REGISTRARS), index=st.integers(0, 20))
        def reject(self, who: str, index: int) -> None:
            record_id, actor = self.pick(index, Status.DECLARED), self.actors[who]
            if record_id is not None:
                self.act(
                    lambda: records.reject(self.session, actor, EventType.BIRTH, record_id, "no")
                )

        @rule(
            who=st.sampled_from(REGISTRARS),
            index=st.integers(0, 20),
            decision=st.sampled_from(duplicates.DECISIONS),
        )
        def decide(self, who: str, index: int, decision: str) -> None:
            pair, actor = self.pair(index, "open"), self.actors[who]
            if pair is not None:
                self.act(lambda: duplicates.decide(self.session, actor, pair, decision, None))

        @rule(who=st.sampled_from(REGISTRARS), index=st.integers(0, 20))
        def reopen(self, who: str, index: int) -> None:
            pair, actor = self.pair(index, "duplicate", "open"), self.actors[who]
            if pair is not None:
                self.act(lambda: duplicates.reopen(self.session, actor, pair, "checked again"))

        @rule(
            who=st.sampled_from(REGISTRARS),
            index=st.integers(0, 20),
            side=st.sampled_from(cancellation.SIDES),
        )
        def cancel(self, who: str, index: int, side: str) -> None:
            pair, actor = self.registered_pair(index), self.actors[who]
            if pair is not None:
                self.act(
                    lambda: cancellation.cancel(
                        self.session, actor, pair, side=side, reason="same", evidence="card"
                    )
                )

        @invariant()
        def one_live_registration(self) -> None:
            other = aliased(Record)
            linked = self.session.execute(
                select(Record.id, other.id)
                .join(other, other.id == Record.duplicate_of_id)
                .where(Record.status == Status.REGISTERED, other.status == Status.REGISTERED)
            ).all()
            assert linked == []
            # A decision binds: a record linked as a duplicate stays rejected or cancelled.
            bound = self.session.scalars(
                select(Record.id).where(
                    Record.status.not_in([Status.REJECTED, Status.CANCELLED]),
                    Record.duplicate_of_id.is_not(None),
                )
            ).all()
            assert bound == []
            newer, existing = aliased(Record), aliased(Record)
            decided_twice = self.session.execute(
                select(DuplicateCandidate.id)
                .join(newer, newer.id == DuplicateCandidate.record_id)
                .join(existing, existing.id == DuplicateCandidate.existing_id)
                .where(
                    DuplicateCandidate.status == "duplicate",
                    newer.status == Status.REGISTERED,
                    existing.status == Status.REGISTERED,
                )
            ).all()
            assert decided_twice == []

        @invariant()
        def nobody_acts_outside_their_area(self) -> None:
            events = self.session.execute(
                select(
                    AuditEvent.username, AuditEvent.area_code, AuditEvent.action, Record.area_path
                )
                .join(Record, Record.id == AuditEvent.record_id)
                .where(AuditEvent.seq > self.seen_seq, AuditEvent.user_id.is_not(None))
            ).all()
            for username, area_code, action, record_path in events:
                assert record_path.startswith(self.paths[area_code]), (
                    username,
                    action,
                    record_path,
                )
            self.seen_seq = (
                self.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())) or 0
            )

    run_state_machine_as_test(
        Register,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )


def test_one_person_one_live_registration_and_areas_hold(connection: Connection) -> None:
    """It keeps, over random sequences of actions by users of different areas, at most one live
    registration per pair decided duplicate and every change inside its author's area."""
    run_machine(connection)
