"""The CLI's language before the commands are defined, so their help is in it too."""

from __future__ import annotations

import os
import sys

from sgz_runtime.i18n import bind_locale


def requested_lang(argv: list[str], environ: dict[str, str] | os._Environ[str]) -> str | None:
    """The value of `--lang X` or `--lang=X` in argv, else SGZ_LANG, else None."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return environ.get("SGZ_LANG") or None


def bind_early_locale() -> None:
    lang = requested_lang(sys.argv[1:], os.environ)
    if lang:
        bind_locale(lang)
