"""Sort-based grouping of int64 keys: np.unique(return_inverse=True) on large int64 arrays is
slow in numpy 2.x; a plain np.sort and a diff find the distinct keys, and a lookup table (or a
binary search) gives each row its group."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Int64Array = NDArray[np.int64]


@dataclass(frozen=True)
class Groups:
    """`keys` ascending and distinct; `index[i]` is the group of the i-th input row."""

    keys: Int64Array
    index: Int64Array

    @property
    def size(self) -> int:
        return int(self.keys.shape[0])


#: A direct lookup table is used while the keys' span is at most this many times the rows
#: (and at most MAX_TABLE entries): one gather instead of a binary search per row.
TABLE_SPAN_PER_ROW = 8
MAX_TABLE = 1 << 26


def group(keys: NDArray[np.integer]) -> Groups:
    """The distinct keys (ascending) and, for each row, the position of its key among them:
    one np.sort (no argsort, no hashing) and a diff find the keys, `locate` the positions."""
    values: Int64Array = np.asarray(keys, dtype=np.int64)
    if values.shape[0] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Groups(empty, empty)
    ordered = np.sort(values)
    starts = np.empty(ordered.shape[0], dtype=bool)
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    distinct: Int64Array = ordered[starts]
    return Groups(distinct, locate_keys(distinct, values))


def locate(groups: Groups, keys: NDArray[np.integer]) -> Int64Array:
    """For each key, its group position, or -1 when it is not one of the groups' keys."""
    return locate_keys(groups.keys, np.asarray(keys, dtype=np.int64))


def locate_keys(distinct: Int64Array, keys: Int64Array) -> Int64Array:
    """Positions of keys among distinct (ascending), -1 where absent. A table indexed by
    key - min when the span is small enough, else a binary search."""
    if distinct.shape[0] == 0:
        return np.full(keys.shape[0], -1, dtype=np.int64)
    low, high = int(distinct[0]), int(distinct[-1])
    span = high - low + 1
    if span <= min(MAX_TABLE, TABLE_SPAN_PER_ROW * max(keys.shape[0], distinct.shape[0])):
        table = np.full(span, -1, dtype=np.int32)
        table[distinct - low] = np.arange(distinct.shape[0], dtype=np.int32)
        inside = (keys >= low) & (keys <= high)
        out = np.full(keys.shape[0], -1, dtype=np.int64)
        if inside.all():
            return table[keys - low].astype(np.int64)
        out[inside] = table[keys[inside] - low]
        return out
    at = np.minimum(np.searchsorted(distinct, keys), distinct.shape[0] - 1)
    found: Int64Array = np.where(distinct[at] == keys, at, -1).astype(np.int64)
    return found


def sum_by(index: Int64Array, values: NDArray[np.integer], size: int) -> Int64Array:
    """Sum of integer values per group (rows whose index is -1 are left out)."""
    keep = index >= 0
    if not keep.all():
        index, values = index[keep], np.asarray(values)[keep]
    return np.bincount(index, weights=values, minlength=size).astype(np.int64)


def count_by(index: Int64Array, size: int) -> Int64Array:
    keep = index[index >= 0]
    return np.bincount(keep, minlength=size).astype(np.int64)
