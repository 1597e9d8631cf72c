"""The person settings: ID keys made once and reused, holidays for years past the package (R4)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from roster_svc.domain.workdays import CalendarBasis
from roster_svc.person_settings import PersonSettings, retired_keys
from sgz_runtime.pii.vault import FernetIdVault


def test_id_keys_are_created_once_private_and_reused(tmp_path: Path) -> None:
    first = PersonSettings()
    hmac_key, fernet_key = first.hmac_key(tmp_path), first.encryption_key(tmp_path)
    assert (tmp_path / "person-id-hmac.key").stat().st_mode & 0o777 == 0o600
    again = PersonSettings()
    assert again.hmac_key(tmp_path) == hmac_key and again.encryption_key(tmp_path) == fernet_key
    vault = FernetIdVault(hmac_key, fernet_key)
    sealed = vault.seal("11010519491231002X")
    assert "11010519491231002X" not in sealed
    assert FernetIdVault(hmac_key, fernet_key).reveal(sealed) == "11010519491231002X"
    assert vault.digest("11010519491231002X") == FernetIdVault(hmac_key, fernet_key).digest(
        "11010519491231002X"
    )


def test_r4_configured_holidays_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SGZ_PERSON_EXTRA_HOLIDAYS", '["2027-10-01", "2027-10-04"]')
    monkeypatch.setenv("SGZ_PERSON_REASSESSMENT_WORKING_DAYS", "2")
    settings = PersonSettings()
    due, basis = settings.calendar().add_working_days(
        dt.date(2027, 9, 30), settings.reassessment_working_days
    )
    assert (due, basis) == (dt.date(2027, 10, 6), CalendarBasis.CONFIGURED)


def test_numbers_sealed_with_a_retired_key_still_read_after_rotation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    sealed = FernetIdVault(b"h", old_key).seal("11010519491231002X")
    monkeypatch.setenv("SGZ_PERSON_ID_RETIRED_ENCRYPTION_KEYS", f'["{old_key.decode()}"]')
    rotated = FernetIdVault(b"h", new_key, retired_keys(PersonSettings()))
    assert rotated.reveal(sealed) == "11010519491231002X"
    assert FernetIdVault(b"h", new_key).reveal(rotated.seal("x")) == "x"
