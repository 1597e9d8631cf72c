"""Money, defined once: an integer number of fen (分). Floats never carry money in sgz."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from sgz_runtime.errors import InvalidArgument


@dataclass(frozen=True, order=True)
class Fen:
    """An amount in fen; 100 fen = 1 yuan. Adds and subtracts with Fen only."""

    fen: int

    def __post_init__(self) -> None:
        if isinstance(self.fen, bool) or not isinstance(self.fen, int):
            raise TypeError(f"fen must be an int, not {type(self.fen).__name__}")

    def __add__(self, other: Fen) -> Fen:
        return Fen(self.fen + other.fen)

    def __sub__(self, other: Fen) -> Fen:
        return Fen(self.fen - other.fen)

    def __neg__(self) -> Fen:
        return Fen(-self.fen)

    def times(self, count: int) -> Fen:
        return Fen(self.fen * count)

    @property
    def is_zero(self) -> bool:
        return self.fen == 0

    def yuan(self) -> str:
        """`1234.05`, `-0.01`: the amount in yuan with exactly two decimals."""
        sign = "-" if self.fen < 0 else ""
        whole, cents = divmod(abs(self.fen), 100)
        return f"{sign}{whole}.{cents:02d}"

    def __str__(self) -> str:
        return f"{self.yuan()} 元"

    @classmethod
    def parse_yuan(cls, text: str, field: str = "amount") -> Fen:
        """`12.5` or `12.50` yuan -> 1250 fen; a fraction of a fen is refused, never rounded."""
        try:
            value = Decimal(text.strip())
        except (InvalidOperation, AttributeError):
            raise InvalidArgument.field(field, f"{text!r} is not an amount in yuan") from None
        fen = value * 100
        if fen != fen.to_integral_value():
            raise InvalidArgument.field(field, f"{text!r} has a fraction of a fen") from None
        return cls(int(fen))


def round_half_up(value: Fraction) -> int:
    """An exact fraction of fen rounded half up (away from zero at .5), as finance rounds."""
    half = Fraction(1, 2)
    return math.floor(value + half) if value >= 0 else -math.floor(-value + half)


def largest_remainder(total: int, weights: Sequence[int | Fraction]) -> list[int]:
    """Split `total` fen in proportion to `weights` so that the parts sum to `total` exactly.

    Each part gets the floor of its exact share; the fen left over go one each to the largest
    remainders, ties to the earlier index (Hamilton's method). All-zero weights give all zeros
    when total is 0, and are refused otherwise.
    """
    if total < 0:
        raise ValueError("total must not be negative")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    whole = sum(Fraction(w) for w in weights)
    if whole == 0:
        if total == 0:
            return [0] * len(weights)
        raise ValueError("cannot share a non-zero total over zero weights")
    shares = [Fraction(w) * total / whole for w in weights]
    parts = [int(s) for s in shares]  # floor: shares are non-negative
    left = total - sum(parts)
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts
