"""Workers of the stations. Pure: no SQL, no gRPC."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sgz_runtime.errors import FieldViolation, InvalidArgument


class WorkerRole(enum.Enum):
    STATION_WORKER = "station_worker"
    #: The chief (rule H5) holds the post concurrently and does not count towards H1.
    STATION_CHIEF = "station_chief"


@dataclass
class Worker:
    id: str
    display_name: str
    town: str
    role: WorkerRole
    version: int = 0
    seq: int | None = None

    @property
    def name(self) -> str:
        return f"workers/{self.id}"


def check_worker(worker: Worker, prefix: str = "worker.") -> None:
    violations: list[FieldViolation] = []
    if not worker.display_name.strip():
        violations.append(FieldViolation(prefix + "display_name", "must not be blank"))
    parts = worker.town.split("/")
    if len(parts) != 2 or parts[0] != "towns" or not parts[1]:
        violations.append(FieldViolation(prefix + "town", "must be a town name, towns/{town}"))
    if violations:
        raise InvalidArgument("the worker is not valid", violations)
