"""Administrative areas (a tree of any depth), facilities and offices, and denominators."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import Base, code, intpk, search_key
from registry.domain import FacilityKind


class Area(Base):
    """One node of the area tree; ``path`` is ``/ROOT/REGION/DISTRICT/`` for subtree queries."""

    __tablename__ = "areas"

    id: Mapped[intpk]
    code: Mapped[code] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Lower-cased name and code, compared byte-wise, so a prefix is an index range (pickers).
    search_name: Mapped[str] = mapped_column(search_key, index=True, default="")
    search_code: Mapped[str] = mapped_column(search_key, index=True, default="")
    level: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    path: Mapped[str] = mapped_column(String(1024), index=True)

    parent: Mapped[Area | None] = relationship(remote_side="Area.id")
    facilities: Mapped[list[Facility]] = relationship(back_populates="area")

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1


class Facility(Base):
    """A health facility or a registration office, inside one area."""

    __tablename__ = "facilities"

    id: Mapped[intpk]
    code: Mapped[code] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(200))
    search_name: Mapped[str] = mapped_column(search_key, index=True, default="")
    search_code: Mapped[str] = mapped_column(search_key, index=True, default="")
    kind: Mapped[FacilityKind] = mapped_column(String(32))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)

    area: Mapped[Area] = relationship(back_populates="facilities")


class Denominator(Base):
    """Population and crude rates of one area and year (rates per 1000)."""

    __tablename__ = "denominators"
    __table_args__ = (UniqueConstraint("area_id", "year"),)

    id: Mapped[intpk]
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    year: Mapped[int]
    population_male: Mapped[int]
    population_female: Mapped[int]
    crude_birth_rate: Mapped[Decimal] = mapped_column(Numeric(8, 3))
    crude_death_rate: Mapped[Decimal] = mapped_column(Numeric(8, 3))

    area: Mapped[Area] = relationship()

    @property
    def population_total(self) -> int:
        return self.population_male + self.population_female


Index("ix_facilities_kind_area", Facility.kind, Facility.area_id)
