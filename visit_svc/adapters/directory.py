"""Who and where, for people reading escalations: the person's name, the village's name and
its civil-affairs contact, as the roster has them now. Asked with the caller's own token, so
nobody learns a name they could not read in the roster; when the roster cannot be asked the
escalation is still answered, without them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import grpc
from sgz.roster.v1 import roster_pb2, roster_pb2_grpc

log = logging.getLogger("sgz.visit")


@dataclass(frozen=True)
class VillageCard:
    display_name: str
    contact_name: str
    contact_phone: str


class Directory(Protocol):
    def person_names(self, persons: Sequence[str]) -> dict[str, str]:
        """Display names of the persons the caller may read; the others are left out."""
        ...

    def villages(self, villages: Sequence[str]) -> dict[str, VillageCard]:
        """The villages the caller may read; the others are left out."""
        ...


class GrpcDirectory:
    def __init__(self, channel: grpc.Channel, timeout_s: float = 2.0):
        self._stub = roster_pb2_grpc.RosterServiceStub(channel)
        self._timeout = timeout_s

    def person_names(self, persons: Sequence[str]) -> dict[str, str]:
        wanted = sorted(set(persons))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 1000):
            try:
                answer = self._stub.BatchGetPersons(
                    roster_pb2.BatchGetPersonsRequest(names=wanted[start : start + 1000]),
                    timeout=self._timeout,
                )
            except grpc.RpcError as exc:
                log.warning("person names not read from the roster", extra={"code": str(exc)})
                return found
            found.update({p.name: p.display_name for p in answer.persons})
        return found

    def villages(self, villages: Sequence[str]) -> dict[str, VillageCard]:
        found: dict[str, VillageCard] = {}
        for name in sorted(set(villages)):
            try:
                v = self._stub.GetVillage(
                    roster_pb2.GetVillageRequest(name=name), timeout=self._timeout
                )
            except grpc.RpcError as exc:
                if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
                    continue
                log.warning("villages not read from the roster", extra={"code": str(exc.code())})
                return found
            found[name] = VillageCard(v.display_name, v.contact.display_name, v.contact.phone)
        return found


class NoDirectory:
    """No roster to ask: escalations go out without names."""

    def person_names(self, persons: Sequence[str]) -> dict[str, str]:
        return {}

    def villages(self, villages: Sequence[str]) -> dict[str, VillageCard]:
        return {}
