"""The bare baseline for bench/api_throughput.py: Flask + SQLAlchemy, one row and one audit row.

Served by the same gunicorn settings as the registry: ``gunicorn 'bench.baseline_app:app'``.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, request
from sqlalchemy import JSON, DateTime, Integer, String, create_engine
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class BaselineBirth(Base):
    __tablename__ = "baseline_births"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BaselineAudit(Base):
    __tablename__ = "baseline_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(36))


engine = create_engine(os.environ.get("DATABASE_URL", "sqlite://"), pool_pre_ping=True)
app = Flask(__name__)


@app.post("/births")
def create_birth() -> Response:
    facts = request.get_json()
    now = datetime.now(UTC)
    record_id = str(uuid.uuid4())
    with Session(engine) as session:
        session.add(BaselineBirth(id=record_id, facts=facts, created_at=now))
        session.add(BaselineAudit(at=now, action="declare", record_id=record_id))
        session.commit()
    return Response(json.dumps({"id": record_id}), status=201, content_type="application/json")
