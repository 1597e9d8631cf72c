"""What a town office reads beyond the visit service's own records: visits listed by place,
worker and week, and escalations that carry the person's name, the village's name and its
contact's phone. A mixin of the VisitService servicer; `configure_office` wires it."""

from __future__ import annotations

from collections.abc import Sequence

from sgz.visit.v1 import visit_pb2 as pb

from sgz_runtime.identity import current_caller
from visit_svc.adapters.directory import Directory, NoDirectory
from visit_svc.adapters.visit_queries import VisitQueries
from visit_svc.domain.visits import Visit
from visit_svc.service_layer.visit_lists import ListVisitsIn, list_visits_in


class OfficeMethods:
    _office_queries: VisitQueries | None = None
    _directory: Directory = NoDirectory()

    def configure_office(self, queries: VisitQueries, directory: Directory) -> None:
        self._office_queries = queries
        self._directory = directory

    def _visits_in(self, request: pb.ListVisitsRequest) -> tuple[list[Visit], str]:
        assert self._office_queries is not None, "configure_office first"
        cmd = ListVisitsIn(
            parent=request.parent,
            worker=request.worker,
            week=request.week,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return list_visits_in(cmd, self._office_queries, caller=current_caller())

    def _describe(self, escalations: Sequence[pb.Escalation]) -> None:
        """Fills in the names and the contact the roster has now (in place)."""
        if not escalations:
            return
        names = self._directory.person_names([e.person for e in escalations])
        villages = self._directory.villages([e.village for e in escalations])
        for e in escalations:
            e.person_display_name = names.get(e.person, "")
            card = villages.get(e.village)
            if card is not None:
                e.village_display_name = card.display_name
                e.village_contact_name = card.contact_name
                e.village_contact_phone = card.contact_phone
