"""The one message catalog: every sentence a person reads, Chinese by default, English on request.

Code writes the English source text once, through `tr`, with named placeholders:

    raise errors.FailedPrecondition(tr("record the assistance first (rule {rule})", rule="V4"))

`tr` returns a `Text` (the msgid and its values), rendered late in the reader's locale: the
catalog's Chinese from `sgz_runtime/locale/zh_CN/LC_MESSAGES/*.po` (gettext PO files, read with
Babel; one file per part of the system, one catalog), the English source text for `en`.
The caller's locale travels between processes in the `x-sgz-lang` metadata key; the gateway sets
it from `Accept-Language`, the CLI from `--lang`. `tests/unit/test_message_catalog.py` extracts
every `tr(...)` of the code with Babel and fails on a msgid without a Chinese translation or with
placeholders that differ.
"""

from __future__ import annotations

import contextlib
import functools
import string
from collections.abc import Iterator, Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po

#: The locales a reader can ask for; the first is the default.
ZH = "zh-CN"
EN = "en"
LOCALES = (ZH, EN)
DEFAULT_LOCALE = ZH

#: The gRPC metadata key that carries the caller's locale from process to process.
LANG_METADATA_KEY = "x-sgz-lang"

CATALOG_DIR = Path(__file__).parent / "locale" / "zh_CN" / "LC_MESSAGES"

_LOCALE: ContextVar[str] = ContextVar("sgz_locale", default=DEFAULT_LOCALE)
_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class Text:
    """A sentence of the catalog with its values, rendered in whichever locale reads it.

    `verbatim` texts carry a sentence already rendered elsewhere (a message another service sent
    in the caller's locale) and render to themselves.
    """

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)
    verbatim: bool = False

    def render(self, locale: str | None = None) -> str:
        loc = normalize(locale) if locale else current_locale()
        if self.verbatim:
            return self.msgid
        template = self.msgid if loc == EN else _catalog().get(self.msgid) or self.msgid
        values = {k: _render_value(v, loc) for k, v in self.params.items()}
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            # A catalog entry whose placeholders drifted must not hide the message.
            return self.msgid.format(**values)

    def __str__(self) -> str:
        return self.render(EN)


def _render_value(value: Any, locale: str) -> Any:
    if isinstance(value, Text):
        return value.render(locale)
    return value


def tr(msgid: str, /, **params: Any) -> Text:
    """A catalog sentence (English source text with `{name}` placeholders) and its values."""
    return Text(msgid, params)


def verbatim(sentence: str) -> Text:
    """A sentence already rendered (from another service, or user data): shown as it is."""
    return Text(sentence, verbatim=True)


def as_text(message: str | Text) -> Text:
    return message if isinstance(message, Text) else verbatim(message)


def placeholders(template: str) -> set[str]:
    """The `{name}` placeholders of a catalog sentence."""
    return {name for _lit, name, _spec, _conv in _FORMATTER.parse(template) if name}


@functools.cache
def _catalog() -> dict[str, str]:
    """msgid -> Chinese, merged from every PO file of the catalog directory."""
    merged: dict[str, str] = {}
    for po in sorted(CATALOG_DIR.glob("*.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale="zh_CN")
        for message in catalog:
            if message.id and isinstance(message.id, str) and message.string and not message.fuzzy:
                merged[message.id] = str(message.string)
    return merged


def catalog() -> Mapping[str, str]:
    """The merged catalog (read-only view, for tests and tools)."""
    return dict(_catalog())


def normalize(tag: str | None) -> str:
    """One of LOCALES for a language tag (`zh`, `zh_CN`, `zh-Hans-CN`, `en-GB`, ...)."""
    if not tag:
        return DEFAULT_LOCALE
    try:
        parsed = Locale.parse(tag.strip().replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return DEFAULT_LOCALE
    return EN if parsed.language == "en" else DEFAULT_LOCALE


def negotiate(accept_language: str | None) -> str:
    """The locale for an HTTP `Accept-Language` header: the first of ours it prefers, else zh-CN.

    Weights are honoured (`en;q=0.9, zh;q=0.8` is English); a header naming none of ours gives
    the default.
    """
    if not accept_language:
        return DEFAULT_LOCALE
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        lang, _sep, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _eq, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if lang and quality > 0:
            ranked.append((-quality, index, lang.strip()))
    for _q, _i, lang in sorted(ranked):
        base = lang.split("-")[0].split("_")[0].lower()
        if base in ("zh", "en"):
            return normalize(lang)
    return DEFAULT_LOCALE


def current_locale() -> str:
    """The locale of the call being served (zh-CN unless the caller asked otherwise)."""
    return _LOCALE.get()


def bind_locale(locale: str | None) -> Token[str]:
    """Makes `locale` (normalised) current for the call being served; returns the reset token."""
    return _LOCALE.set(normalize(locale))


def unbind_locale(token: Token[str]) -> None:
    _LOCALE.reset(token)


@contextlib.contextmanager
def use_locale(locale: str | None) -> Iterator[str]:
    """Makes `locale` (normalised) the current one for the block."""
    token = _LOCALE.set(normalize(locale))
    try:
        yield _LOCALE.get()
    finally:
        _LOCALE.reset(token)
