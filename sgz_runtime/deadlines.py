"""Deadlines stop the work (issue 11 item 7): a long loop asks, now and then, whether the call it
serves has run out of time, and stops rather than keep a thread busy for an answer nobody reads.
"""

from __future__ import annotations

from sgz_runtime import identity
from sgz_runtime.errors import Unavailable
from sgz_runtime.i18n import tr


def check_deadline() -> None:
    """Unavailable when the call being served is past its deadline; nothing outside a call."""
    ctx = identity.current_context()
    if ctx is not None and ctx.remaining() <= 0:
        raise Unavailable(tr("the call ran out of time and was stopped; try a smaller request"))
