"""Failed logins counted per key (an account, an address) in a sliding window; a key over its
limit is refused until its oldest failure leaves the window."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class FailureLimiter:
    def __init__(
        self,
        limit: int,
        window_s: float,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limit = limit
        self.window_s = window_s
        self._max_keys = max_keys
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float:
        """Seconds until key may try again; 0 when it may now."""
        with self._lock:
            found = self._prune(key)
            if found is None or len(found) < self.limit:
                return 0.0
            return max(0.0, found[0] + self.window_s - self._clock())

    def failed(self, key: str) -> None:
        with self._lock:
            found = self._prune(key)
            if found is None:
                if len(self._failures) >= self._max_keys:
                    self._drop_stale()
                found = self._failures.setdefault(key, deque())
            found.append(self._clock())

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _prune(self, key: str) -> deque[float] | None:
        found = self._failures.get(key)
        if found is None:
            return None
        horizon = self._clock() - self.window_s
        while found and found[0] <= horizon:
            found.popleft()
        if not found:
            del self._failures[key]
            return None
        return found

    def _drop_stale(self) -> None:
        for key in list(self._failures):
            self._prune(key)
        if len(self._failures) >= self._max_keys:  # a flood of addresses: keep the newest half
            for key in list(self._failures)[: self._max_keys // 2]:
                del self._failures[key]
