"""What the PostgreSQL benchmarks share: a fresh migrated database and the demo country in it."""

from __future__ import annotations

import random
import sys
from datetime import date
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.migrations import alembic_config  # noqa: E402
from registry.services import demo  # noqa: E402
from registry.services.settings import RegistrySettings  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: Syllables for made-up names: distinct people without any real person's name.
SYLLABLES = "ba be bi bo bu da de di do ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu ra re ri ro ru sa se si so ta te ti to wa we ya yo ju ji za zi ha he ho fa fe".split()  # noqa: SIM905
FAST_HASHING = RegistrySettings(argon2_time_cost=1, argon2_memory_cost=1024)


def database_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def fresh_database(admin_url: str, name: str, *, demo_country: bool = False) -> str:
    """Drop and create database ``name``, migrate it, and optionally load the demo country."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = database_url(admin_url, name)
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(url, conn), "head")
    if demo_country:
        with Session(engine) as session:
            demo.load_country(session, FAST_HASHING, date.today().year)
            session.commit()
    engine.dispose()
    return url


def made_up_name(rng: random.Random, parts: int = 3) -> str:
    """A capitalised name of ``parts`` random syllables."""
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).title()
