"""The export's bulk Fernet decryption gives what cryptography's own Fernet gives, and refuses
what it refuses: a token from an unknown key, a changed byte, not a token at all."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet
from hypothesis import given, settings
from hypothesis import strategies as st

from roster_svc.adapters.bulk_fernet import BadToken, BulkFernet

KEY = Fernet.generate_key()
RETIRED = Fernet.generate_key()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=20))
def test_texts_come_back_as_fernet_sealed_them(texts: list[str]) -> None:
    current, old = Fernet(KEY), Fernet(RETIRED)
    tokens = [(current if i % 3 else old).encrypt(t.encode()).decode() for i, t in enumerate(texts)]
    assert BulkFernet([KEY, RETIRED]).decrypt_many(tokens) == texts


def test_a_known_text_of_two_blocks() -> None:
    token = Fernet(KEY).encrypt("320621194001010014 新华村".encode()).decode()
    assert BulkFernet([KEY]).decrypt_many([token]) == ["320621194001010014 新华村"]


def test_a_token_no_key_made_is_refused() -> None:
    token = Fernet(RETIRED).encrypt(b"x").decode()
    with pytest.raises(BadToken):
        BulkFernet([KEY]).decrypt_many([token])


def test_a_changed_byte_is_refused() -> None:
    raw = bytearray(base64.urlsafe_b64decode(Fernet(KEY).encrypt(b"13812345678")))
    raw[30] ^= 1
    with pytest.raises(BadToken):
        BulkFernet([KEY]).decrypt_many([base64.urlsafe_b64encode(bytes(raw)).decode()])
    with pytest.raises(BadToken):
        BulkFernet([KEY]).decrypt_many(["not a token"])
