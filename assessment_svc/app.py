"""Wires the assessment service. Its methods arrive with its own issue; until then it serves
health and reflection, so the stack and its operations tooling are complete."""

from __future__ import annotations

import grpc
from sgz.assessment.v1 import assessment_pb2

from sgz_runtime.config import Settings
from sgz_runtime.server import ServiceSpec

SERVICE_NAME = assessment_pb2.DESCRIPTOR.services_by_name["AssessmentService"].full_name


def build(settings: Settings) -> ServiceSpec:
    def register(server: grpc.Server) -> None:
        """Nothing to add yet: the service has no methods."""

    return ServiceSpec("assessment", [SERVICE_NAME], register)
