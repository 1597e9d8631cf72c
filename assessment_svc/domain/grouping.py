"""Sort-based grouping of int64 keys: np.unique on large int64 arrays is many times slower in
numpy 2.x than one stable argsort and a diff, which is all grouping needs."""

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


def group(keys: NDArray[np.integer]) -> Groups:
    """The distinct keys (ascending) and, for each row, the position of its key among them."""
    values: Int64Array = np.asarray(keys, dtype=np.int64)
    if values.shape[0] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Groups(empty, empty)
    order = np.argsort(values, kind="stable")
    ordered: Int64Array = values[order]
    starts = np.empty(ordered.shape[0], dtype=bool)
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    index = np.empty(ordered.shape[0], dtype=np.int64)
    index[order] = np.cumsum(starts) - 1
    return Groups(ordered[starts], index)


def locate(groups: Groups, keys: NDArray[np.integer]) -> Int64Array:
    """For each key, its group position, or -1 when it is not one of the groups' keys."""
    keys = np.asarray(keys, dtype=np.int64)
    if groups.size == 0:
        return np.full(keys.shape[0], -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(groups.keys, keys), groups.size - 1)
    return np.where(groups.keys[at] == keys, at, -1).astype(np.int64)


def sum_by(index: Int64Array, values: NDArray[np.integer], size: int) -> Int64Array:
    """Sum of integer values per group (rows whose index is -1 are left out)."""
    keep = index >= 0
    if not keep.all():
        index, values = index[keep], np.asarray(values)[keep]
    return np.bincount(index, weights=values, minlength=size).astype(np.int64)


def count_by(index: Int64Array, size: int) -> Int64Array:
    keep = index[index >= 0]
    return np.bincount(keep, minlength=size).astype(np.int64)
