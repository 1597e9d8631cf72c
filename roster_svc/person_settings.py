"""The settings of persons and their history, read from the environment in one place.

`SGZ_PERSON_ID_HMAC_KEY` and `SGZ_PERSON_ID_ENCRYPTION_KEY` (a Fernet key) protect ID numbers;
unset, each is created once as a file under the data dir (0600) and reused. Holidays past the
calendar package's data are JSON lists of dates, e.g.
`SGZ_PERSON_EXTRA_HOLIDAYS='["2027-01-01", "2027-02-15"]'`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from roster_svc.domain.workdays import WorkdayCalendar
from sgz_runtime.pii.vault import fernet_key_file, hmac_key_file


class PersonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SGZ_PERSON_", extra="ignore")

    #: Key of the HMAC that matches ID numbers without storing them readable.
    id_hmac_key: SecretStr | None = None
    #: Fernet key (urlsafe base64 of 32 bytes) that encrypts the ID numbers.
    id_encryption_key: SecretStr | None = None
    #: Earlier encryption keys, still read after a rotation (a JSON list).
    id_retired_encryption_keys: list[SecretStr] = Field(default_factory=list)
    #: Holidays (放假) of years the calendar package does not know yet (rule R4).
    extra_holidays: list[date] = Field(default_factory=list)
    #: Adjusted working days (调休上班) of those years (rule R4).
    extra_workdays: list[date] = Field(default_factory=list)
    #: Working days a re-assessment is due in after a reported change (rule R4).
    reassessment_working_days: int = Field(default=10, ge=1)

    def calendar(self) -> WorkdayCalendar:
        return WorkdayCalendar.configured(self.extra_holidays, self.extra_workdays)

    def hmac_key(self, data_dir: Path) -> bytes:
        if self.id_hmac_key is not None:
            return self.id_hmac_key.get_secret_value().encode()
        return hmac_key_file(data_dir / "person-id-hmac.key")

    def encryption_key(self, data_dir: Path) -> bytes:
        if self.id_encryption_key is not None:
            return self.id_encryption_key.get_secret_value().encode()
        return fernet_key_file(data_dir / "person-id-fernet.key")


def retired_keys(settings: PersonSettings) -> list[bytes]:
    return [k.get_secret_value().encode() for k in settings.id_retired_encryption_keys]
