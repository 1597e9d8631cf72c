"""The HR service's own settings, read from the environment in one place.

`SGZ_HR_ID_HMAC_KEY` and `SGZ_HR_ID_ENCRYPTION_KEY` (a Fernet key) protect workers' ID numbers
and phones; unset, each is created once as a file under the data dir (0600) and reused, as the
roster does (sgz_runtime.pii).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from sgz_runtime.pii.vault import FernetIdVault, fernet_key_file, hmac_key_file


class HrSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SGZ_HR_", extra="ignore")

    id_hmac_key: SecretStr | None = None
    id_encryption_key: SecretStr | None = None
    #: Earlier encryption keys, still read after a rotation (a JSON list).
    id_retired_encryption_keys: list[SecretStr] = Field(default_factory=list)

    def vault(self, data_dir: Path) -> FernetIdVault:
        hmac_key = (
            self.id_hmac_key.get_secret_value().encode()
            if self.id_hmac_key is not None
            else hmac_key_file(data_dir / "hr-id-hmac.key")
        )
        encryption_key = (
            self.id_encryption_key.get_secret_value().encode()
            if self.id_encryption_key is not None
            else fernet_key_file(data_dir / "hr-id-fernet.key")
        )
        retired = [k.get_secret_value().encode() for k in self.id_retired_encryption_keys]
        return FernetIdVault(hmac_key, encryption_key, retired)
