"""The use cases of accounts: log in, refresh, log out, create, disable, enable, reset a
password, and the one-time bootstrap of the first admin. Each takes one command object."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gateway.accounts import domain, tokens
from gateway.accounts.domain import Account
from gateway.accounts.limiter import FailureLimiter
from gateway.accounts.passwords import Passwords, generated_password
from gateway.accounts.settings import AccountSettings
from gateway.accounts.store import AccountStore
from sgz_runtime.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role, ScopeLevel


class TooManyAttempts(Exception):
    """Too many failed logins for this account or address: try again after retry_after_s."""

    def __init__(self, retry_after_s: float):
        super().__init__(f"too many failed logins; retry after {retry_after_s:.0f} s")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Session:
    access_token: str
    refresh_token: str
    expires_in: int
    account: Account


@dataclass(frozen=True, kw_only=True)
class Login:
    username: str
    password: str
    address: str


@dataclass(frozen=True, kw_only=True)
class Refresh:
    refresh_token: str


@dataclass(frozen=True, kw_only=True)
class Logout:
    refresh_token: str


@dataclass(frozen=True, kw_only=True)
class CreateAccount:
    actor: Caller
    username: str
    display_name: str
    role: str
    scope_level: str
    scope: str
    #: None: a random one is made and returned once.
    password: str | None = None


@dataclass(frozen=True, kw_only=True)
class SetDisabled:
    actor: Caller
    username: str
    disabled: bool


@dataclass(frozen=True, kw_only=True)
class ResetPassword:
    actor: Caller
    username: str
    password: str | None = None


@dataclass(frozen=True, kw_only=True)
class Bootstrap:
    username: str
    display_name: str
    password: str | None = None


class AccountService:
    def __init__(
        self,
        store: AccountStore,
        passwords: Passwords,
        access: tokens.AccessTokens,
        settings: AccountSettings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.store = store
        self.passwords = passwords
        self.access = access
        self.settings = settings
        self._now = clock
        window = settings.failure_window_s
        self.per_account = FailureLimiter(settings.failures_per_account, window)
        self.per_address = FailureLimiter(settings.failures_per_address, window)

    # -- sessions ------------------------------------------------------------------------------

    def login(self, cmd: Login) -> Session:
        username = cmd.username.strip().lower()
        account_key, address_key = f"account:{username}", f"address:{cmd.address}"
        wait = max(
            self.per_account.retry_after(account_key), self.per_address.retry_after(address_key)
        )
        if wait > 0:
            raise TooManyAttempts(wait)
        found = self.store.get(username) if domain.USERNAME.fullmatch(username) else None
        ok = self.passwords.verify(found[1] if found else None, cmd.password[:1024])
        if not ok or found is None or found[0].disabled:
            # A disabled account is told the same as a wrong password: nothing to probe.
            self.per_account.failed(account_key)
            self.per_address.failed(address_key)
            raise Unauthenticated(
                tr("the username or the password is wrong"), reason="LOGIN_FAILED"
            )
        account, stored = found
        self.per_account.succeeded(account_key)
        if self.passwords.needs_rehash(stored):
            self.store.update(
                username, self._now(), password_hash=self.passwords.hash(cmd.password)
            )
        return self._issue(account)

    def refresh(self, cmd: Refresh) -> Session:
        now = self._now()
        new = tokens.new_refresh_token()
        expires = now + timedelta(seconds=self.settings.refresh_ttl_s)
        old = self.store.rotate_refresh(
            tokens.refresh_token_hash(cmd.refresh_token),
            tokens.refresh_token_hash(new),
            now,
            expires,
        )
        refused = Unauthenticated(
            tr("the refresh token is not valid; log in again"), reason="REFRESH_REFUSED"
        )
        if old is None or old.expire_time <= now:
            raise refused
        if old.revoke_time is not None:
            # A revoked token presented again was copied: end every session of the account.
            if now - old.revoke_time > timedelta(seconds=5):
                self.store.end_sessions(old.username, now)
            raise refused
        found = self.store.get(old.username)
        if found is None or found[0].disabled:
            raise refused
        return self._session(found[0], new)

    def logout(self, cmd: Logout) -> None:
        self.store.revoke_refresh(tokens.refresh_token_hash(cmd.refresh_token), self._now())

    def _issue(self, account: Account) -> Session:
        now = self._now()
        refresh = tokens.new_refresh_token()
        self.store.add_refresh(
            tokens.refresh_token_hash(refresh),
            account.username,
            now,
            now + timedelta(seconds=self.settings.refresh_ttl_s),
        )
        return self._session(account, refresh)

    def _session(self, account: Account, refresh: str) -> Session:
        claims = {
            "role": account.role.value,
            "lvl": account.scope_level.value,
            "scope": account.scope,
        }
        access = self.access.sign(account.name, claims)
        return Session(access, refresh, self.access.ttl_s, account)

    def account_of_token(self, access_token: str) -> Account:
        """The enabled account an access token was issued to; Unauthenticated otherwise."""
        claims = self.access.verify(access_token)
        refused = Unauthenticated(tr("the access token is not valid; log in again"))
        if not claims.subject.startswith("accounts/"):
            raise refused
        found = self.store.get(claims.subject.removeprefix("accounts/"))
        if found is None or found[0].disabled:
            raise refused
        # Whole seconds: iat has no fraction, sessions_valid_after has.
        if claims.issued_at < int(found[0].sessions_valid_after.timestamp()):
            raise refused
        return found[0]

    def get(self, actor: Caller, username: str) -> Account:
        if actor.subject != f"accounts/{username}":
            _require_admin(actor)
        found = self.store.get(username)
        if found is None:
            raise NotFound(f"accounts/{username}")
        return found[0]

    def list(self, actor: Caller) -> list[Account]:
        _require_admin(actor)
        return self.store.list()

    # -- administration ------------------------------------------------------------------------

    def create(self, cmd: CreateAccount) -> tuple[Account, str]:
        """The new account and its password (the one given, or a generated one)."""
        _require_admin(cmd.actor)
        return self._create(
            username=cmd.username,
            display_name=cmd.display_name,
            role=cmd.role,
            scope_level=cmd.scope_level,
            scope=cmd.scope,
            password=cmd.password,
            created_by=cmd.actor.subject,
        )

    def bootstrap(self, cmd: Bootstrap) -> tuple[Account, str]:
        """The first admin (city civil affairs, city-wide); refused once any account exists."""
        if self.store.count() > 0:
            raise FailedPrecondition(
                tr("accounts exist already: the bootstrap is for the first admin only"),
                reason="ALREADY_BOOTSTRAPPED",
            )
        return self._create(
            username=cmd.username,
            display_name=cmd.display_name,
            role=Role.CITY_CIVIL_AFFAIRS.value,
            scope_level=ScopeLevel.CITY.value,
            scope="",
            password=cmd.password,
            created_by="bootstrap",
        )

    def _create(
        self,
        *,
        username: str,
        display_name: str,
        role: str,
        scope_level: str,
        scope: str,
        password: str | None,
        created_by: str,
    ) -> tuple[Account, str]:
        parsed_role, parsed_level = domain.check_new_account(
            username=username,
            display_name=display_name,
            role=role,
            scope_level=scope_level,
            scope=scope,
        )
        secret = password if password is not None else generated_password()
        domain.check_password(secret, username=username)
        now = self._now()
        account = Account(
            username=username,
            display_name=display_name.strip(),
            role=parsed_role,
            scope_level=parsed_level,
            scope=scope,
            disabled=False,
            create_time=now,
            sessions_valid_after=now,
        )
        if not self.store.insert(account, self.passwords.hash(secret), created_by):
            raise AlreadyExists(account.name)
        return account, secret

    def set_disabled(self, cmd: SetDisabled) -> Account:
        _require_admin(cmd.actor)
        if cmd.disabled and cmd.actor.subject == f"accounts/{cmd.username}":
            raise InvalidArgument.field("name", tr("an admin may not disable their own account"))
        self._existing(cmd.username)
        if cmd.disabled:
            self.store.end_sessions(cmd.username, self._now(), disabled=True)
        else:
            self.store.update(cmd.username, self._now(), disabled=False)
        return self._existing(cmd.username)

    def reset_password(self, cmd: ResetPassword) -> tuple[Account, str]:
        _require_admin(cmd.actor)
        self._existing(cmd.username)
        secret = cmd.password if cmd.password is not None else generated_password()
        domain.check_password(secret, username=cmd.username)
        self.store.end_sessions(
            cmd.username, self._now(), password_hash=self.passwords.hash(secret)
        )
        return self._existing(cmd.username), secret

    def _existing(self, username: str) -> Account:
        found = self.store.get(username)
        if found is None:
            raise NotFound(f"accounts/{username}")
        return found[0]


def _require_admin(actor: Caller) -> None:
    if not domain.admin_caller(actor):
        raise PermissionDenied(
            tr("only the city civil-affairs bureau administers accounts"), reason="NOT_AN_ADMIN"
        )
