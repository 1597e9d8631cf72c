"""Accounts as plain values, and the rules on them: which scope each role may have, what a
username and a password must be. No SQL, no HTTP."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sgz_runtime.errors import FieldViolation, InvalidArgument
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role, ScopeLevel

#: The scope levels each role may be given (DOMAIN.md "Who uses it"). A worker sees their own
#: caseload, a village contact their village, town roles their town, city roles the city.
SCOPES_OF_ROLE: dict[Role, tuple[ScopeLevel, ...]] = {
    Role.CITY_CIVIL_AFFAIRS: (ScopeLevel.CITY,),
    Role.CITY_FINANCE: (ScopeLevel.CITY,),
    Role.AUDITOR: (ScopeLevel.CITY, ScopeLevel.TOWN),
    Role.TOWN_HEAD: (ScopeLevel.TOWN,),
    Role.STATION_CHIEF: (ScopeLevel.TOWN,),
    Role.HR: (ScopeLevel.TOWN, ScopeLevel.CITY),
    Role.STATION_WORKER: (ScopeLevel.CASELOAD,),
    Role.VILLAGE_CONTACT: (ScopeLevel.VILLAGE,),
}

_SCOPE_PATTERN: dict[ScopeLevel, re.Pattern[str]] = {
    ScopeLevel.CITY: re.compile(r""),
    ScopeLevel.TOWN: re.compile(r"towns/[a-z0-9][a-z0-9-]{0,62}"),
    ScopeLevel.VILLAGE: re.compile(
        r"towns/[a-z0-9][a-z0-9-]{0,62}/villages/[a-z0-9][a-z0-9-]{0,62}"
    ),
    ScopeLevel.CASELOAD: re.compile(r"workers/[A-Za-z0-9][A-Za-z0-9_-]{0,62}"),
}
_SCOPE_EXAMPLE: dict[ScopeLevel, str] = {
    ScopeLevel.CITY: "",
    ScopeLevel.TOWN: "towns/{town}",
    ScopeLevel.VILLAGE: "towns/{town}/villages/{village}",
    ScopeLevel.CASELOAD: "workers/{worker}",
}
USERNAME = re.compile(r"[a-z][a-z0-9._-]{2,39}")
MIN_PASSWORD = 12
MAX_PASSWORD = 256
MAX_DISPLAY_NAME = 100


@dataclass(frozen=True)
class Account:
    """One person's account. `name` is `accounts/{username}`. Never deleted: disabled."""

    username: str
    display_name: str
    role: Role
    scope_level: ScopeLevel
    scope: str
    disabled: bool
    create_time: datetime
    #: Tokens issued before this instant are refused (password reset, disable, logout-all).
    sessions_valid_after: datetime

    @property
    def name(self) -> str:
        return f"accounts/{self.username}"

    def caller(self) -> Caller:
        return Caller(self.name, self.role, self.scope_level, self.scope)

    @property
    def is_admin(self) -> bool:
        """Account administration is the city civil-affairs bureau's, city-wide."""
        return self.role is Role.CITY_CIVIL_AFFAIRS and self.scope_level is ScopeLevel.CITY


def admin_caller(caller: Caller) -> bool:
    return caller.role is Role.CITY_CIVIL_AFFAIRS and caller.scope_level is ScopeLevel.CITY


def check_new_account(
    *, username: str, display_name: str, role: str, scope_level: str, scope: str
) -> tuple[Role, ScopeLevel]:
    """The role and scope level of a new account; InvalidArgument naming every wrong field."""
    violations: list[FieldViolation] = []
    if not USERNAME.fullmatch(username):
        violations.append(
            FieldViolation(
                "username",
                tr(
                    "3 to 40 characters: lower-case letters, digits, '.', '_' or '-', "
                    "starting with a letter"
                ),
            )
        )
    if not display_name.strip() or len(display_name) > MAX_DISPLAY_NAME:
        violations.append(
            FieldViolation("displayName", tr("1 to {n} characters", n=MAX_DISPLAY_NAME))
        )
    parsed_role = next((r for r in SCOPES_OF_ROLE if r.value == role), None)
    parsed_level = next((s for s in ScopeLevel if s.value == scope_level), None)
    if parsed_role is None:
        violations.append(
            FieldViolation(
                "role", tr("one of {roles}", roles=", ".join(r.value for r in SCOPES_OF_ROLE))
            )
        )
    if parsed_level is None:
        violations.append(
            FieldViolation(
                "scopeLevel", tr("one of {levels}", levels=", ".join(s.value for s in ScopeLevel))
            )
        )
    elif parsed_role is not None and parsed_level not in SCOPES_OF_ROLE[parsed_role]:
        allowed = ", ".join(s.value for s in SCOPES_OF_ROLE[parsed_role])
        violations.append(
            FieldViolation(
                "scopeLevel",
                tr("the role {role} takes the scope level {allowed}", role=role, allowed=allowed),
            )
        )
    elif parsed_level is not None and not _SCOPE_PATTERN[parsed_level].fullmatch(scope):
        violations.append(
            FieldViolation(
                "scope",
                tr(
                    "a {level} scope is written {example}",
                    level=parsed_level.value,
                    example=_SCOPE_EXAMPLE[parsed_level] or '""',
                ),
            )
        )
    if violations or parsed_role is None or parsed_level is None:
        raise InvalidArgument.of(violations)
    return parsed_role, parsed_level


def check_password(password: str, *, username: str) -> None:
    """A password long enough to resist guessing (NIST SP 800-63B: length, not composition)."""
    if len(password) < MIN_PASSWORD or len(password) > MAX_PASSWORD:
        raise InvalidArgument.field(
            "password", tr("{low} to {high} characters", low=MIN_PASSWORD, high=MAX_PASSWORD)
        )
    if username and username in password.lower():
        raise InvalidArgument.field("password", tr("the password may not contain the username"))
