"""The few statements that SQLite and PostgreSQL spell differently."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import JSON, any_, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, model: Any, values: dict[str, Any]) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` for the session's database."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model).values(**values).on_conflict_do_nothing()


def next_ids(session: Session, table: Any, count: int) -> list[int]:
    """``count`` new values of ``table``'s integer key, to insert rows with their ids given
    (a batch needs them before the insert, and RETURNING over many rows is slow with psycopg).

    PostgreSQL takes them from the key's sequence; SQLite, whose writer holds the database
    lock from ``BEGIN IMMEDIATE``, continues after the largest key.
    """
    if not count:
        return []
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(table.name, table.c.id.name)
        stmt = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
        return sorted(int(value) for value in conn.execute(stmt).scalars())
    last = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(int(last) + 1, int(last) + 1 + count))


def insert_many(session: Session, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys) into ``table``: with COPY on PostgreSQL (a
    batch import's rows, several times faster than one INSERT each), else one executemany."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        conn.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    documents = {c.name for c in table.columns if isinstance(c.type, JSON)}
    quote = conn.dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(
                [
                    Jsonb(row[c]) if c in documents and row[c] is not None else row[c]
                    for c in columns
                ]
            )


def one_of(session: Session, column: Any, values: Sequence[Any]) -> Any:
    """``column IN (values)``: on PostgreSQL as ``= ANY(array)``, one parameter however many
    values (psycopg parses a statement of thousands of parameters slowly)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(values)
