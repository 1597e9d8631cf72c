"""Repositories of the roster: ports (Protocols) and their SQLAlchemy adapters."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster_svc.adapters import orm
from roster_svc.domain.places import Town, Village


class TownRepository(Protocol):
    def add(self, town: Town) -> None: ...
    def get(self, town_id: str) -> Town | None: ...
    def get_by_code(self, administrative_code: str) -> Town | None: ...
    def list(self, after: str | None, limit: int) -> list[Town]: ...


class VillageRepository(Protocol):
    def add(self, village: Village) -> None: ...
    def get(self, town_id: str, village_id: str) -> Village | None: ...
    def list(self, town_id: str, after: str | None, limit: int) -> list[Village]: ...


class SqlTownRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, town: Town) -> None:
        self.session.add(town)

    def get(self, town_id: str) -> Town | None:
        return self.session.get(Town, town_id)

    def get_by_code(self, administrative_code: str) -> Town | None:
        query = select(Town).where(orm.towns.c.administrative_code == administrative_code)
        return self.session.scalars(query).first()

    def list(self, after: str | None, limit: int) -> list[Town]:
        query = select(Town).order_by(orm.towns.c.id).limit(limit)
        if after is not None:
            query = query.where(orm.towns.c.id > after)
        return list(self.session.scalars(query))


class SqlVillageRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, village: Village) -> None:
        self.session.add(village)

    def get(self, town_id: str, village_id: str) -> Village | None:
        return self.session.get(Village, (town_id, village_id))

    def list(self, town_id: str, after: str | None, limit: int) -> list[Village]:
        query = (
            select(Village)
            .where(orm.villages.c.town_id == town_id)
            .order_by(orm.villages.c.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(orm.villages.c.id > after)
        return list(self.session.scalars(query))
