"""The station standards (rules S1, S2) in force, read from the environment in one place.

`SGZ_STATION_STANDARDS` is a JSON list of standards, each dated by when it takes effect, e.g.
`[{"effective_from": "2021-01-01", "office_min_m2": 80, "office_max_m2": 120,
"registration_deadline": "2022-08-31"}]`. Unset, the policy's values apply.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from roster_svc.domain.stations import StationStandard


class StandardSetting(BaseModel):
    effective_from: date
    registration_deadline: date = date(2022, 8, 31)
    office_min_m2: float = Field(default=80.0, gt=0)
    office_max_m2: float = Field(default=120.0, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> StandardSetting:
        if self.office_min_m2 > self.office_max_m2:
            raise ValueError("office_min_m2 must not exceed office_max_m2")
        return self


class StationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SGZ_STATION_", extra="ignore")

    #: The policy (S1, S2) as of its publication; later standards are appended with their date.
    standards: list[StandardSetting] = Field(
        default_factory=lambda: [StandardSetting(effective_from=date(2021, 1, 1))], min_length=1
    )

    def domain_standards(self) -> list[StationStandard]:
        return [StationStandard(**s.model_dump()) for s in self.standards]
