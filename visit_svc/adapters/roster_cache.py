"""A short-lived cache of persons' timelines in front of the roster client, so recording a
visit does not ask the roster every time (the benchmark's largest cost after the fsync).

A timeline is kept `ttl_s` seconds (VisitSettings.timeline_cache_s) for reads (a person's
weeks); the checks of rule V9 ask with `fresh=True`, so a change made in the roster (a
reassignment, a status) reaches them at once. A status change this service makes itself (rule
V8) drops the person's entries at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import date

from visit_svc.adapters.roster_client import RosterClient
from visit_svc.domain.timeline import PersonStatus, PersonTimeline


class CachingRosterClient:
    def __init__(
        self,
        inner: RosterClient,
        ttl_s: float,
        *,
        max_entries: int = 20_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._inner = inner
        self._ttl = ttl_s
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, date, date], tuple[float, PersonTimeline]] = (
            OrderedDict()
        )

    def person_timeline(
        self, person: str, first: date, last: date, *, fresh: bool = False
    ) -> PersonTimeline:
        key = (person, first, last)
        now = self._clock()
        with self._lock:
            found = self._entries.get(key)
            if not fresh and found is not None and found[0] > now:
                return found[1]
        timeline = self._inner.person_timeline(person, first, last)  # errors are not kept
        with self._lock:
            self._entries[key] = (now + self._ttl, timeline)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return timeline

    def person_timelines(
        self, parent: str, worker: str | None, first: date, last: date
    ) -> list[PersonTimeline]:
        return self._inner.person_timelines(parent, worker, first, last)

    def open_reassessment(
        self, person: str, reported: date, description: str, request_id: str
    ) -> None:
        self._inner.open_reassessment(person, reported, description, request_id)

    def forget(self, person: str) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0] == person]:
                del self._entries[key]

    def change_person_status(
        self, person: str, new_status: PersonStatus, effective: date, reason: str, request_id: str
    ) -> None:
        self.forget(person)
        try:
            self._inner.change_person_status(person, new_status, effective, reason, request_id)
        finally:
            self.forget(person)
