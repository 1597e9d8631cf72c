"""The caller-token caches of sgz_runtime.identity: a remembered token is still refused from
its exp on, a refused token is never remembered, and a reused token always has time to live."""

from __future__ import annotations

import time

import pytest

from sgz_runtime import identity
from sgz_runtime.errors import Unauthenticated
from sgz_runtime.identity import Caller, Role, ScopeLevel, TokenSigner, TokenVerifier

KEY = b"k" * 32
CHIEF = Caller("users/chief", Role.STATION_CHIEF, ScopeLevel.TOWN, "towns/t")


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_remembered_token_is_refused_from_its_exp_on() -> None:
    token = identity.sign(CHIEF, KEY, ttl_s=1)
    verifier = TokenVerifier(KEY)
    assert verifier.verify(token) == CHIEF
    assert verifier.verify(token) == CHIEF  # from memory
    time.sleep(2.05)  # past exp (whole seconds): memory must not outlive the token
    with pytest.raises(Unauthenticated):
        verifier.verify(token)


def test_memory_is_checked_against_the_clock_before_it_answers() -> None:
    clock = Clock()
    token = identity.sign(CHIEF, b"x" * 32)  # another key: only memory could accept it
    verifier = TokenVerifier(KEY, clock=clock)
    verifier._accepted[token] = (clock.now + 10, CHIEF)
    assert verifier.verify(token) == CHIEF
    clock.now += 10
    with pytest.raises(Unauthenticated):
        verifier.verify(token)


def test_a_forged_or_expired_token_is_refused_every_time() -> None:
    verifier = TokenVerifier(KEY)
    forged = identity.sign(CHIEF, b"x" * 32)
    expired = identity.sign(CHIEF, KEY, ttl_s=-60)
    for token in (forged, expired, "garbage", forged):
        with pytest.raises(Unauthenticated):
            verifier.verify(token)


def test_a_token_signed_with_another_key_is_not_taken_from_memory() -> None:
    token = identity.sign(CHIEF, KEY)
    assert TokenVerifier(KEY).verify(token) == CHIEF
    with pytest.raises(Unauthenticated):
        TokenVerifier(b"y" * 32).verify(token)


def test_the_signer_reuses_a_token_only_while_half_its_life_is_left() -> None:
    clock = Clock()
    signer = TokenSigner(KEY, ttl_s=300, clock=clock)
    first = signer.token_for(CHIEF)
    assert signer.token_for(CHIEF) == first
    other = Caller("users/w", Role.STATION_WORKER, ScopeLevel.CASELOAD, "workers/w")
    assert identity.verify(signer.token_for(other), KEY) == other
    clock.now += 151
    time.sleep(1.01)  # a new iat, so the new token differs from the first
    renewed = signer.token_for(CHIEF)
    assert renewed != first
    assert identity.verify(renewed, KEY) == CHIEF
