"""The load harness every benchmark uses: N calls with a fixed number in flight, timed per call.

Figures come out as `Row`s; a benchmark names the baseline row it is compared with, measured in
the same run, and the runner reports the ratio.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Row:
    """One measured case: its figures, and which case of the same run it is compared with."""

    benchmark: str
    case: str
    figures: dict[str, float]
    #: The figure the ratio compares, e.g. "per_s".
    primary: str
    #: The case this one is compared with, in the same run (None for a baseline).
    baseline: str | None = None
    notes: str = ""
    ratio: float | None = field(default=None)


@dataclass
class LoadResult:
    calls: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_s(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    def figures(self) -> dict[str, float]:
        return {
            "per_s": round(self.per_s, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p99_ms": round(self.percentile(99), 2),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 2) if self.latencies_ms else 0,
            "calls": self.calls,
            "errors": self.errors,
        }


async def drive(
    call: Callable[[int], Awaitable[Any]],
    *,
    calls: int,
    in_flight: int = 16,
    warmup: int = 200,
) -> LoadResult:
    """Makes `calls` calls of call(i), `in_flight` at a time, after `warmup` untimed ones."""
    for i in range(warmup):
        await call(-1 - i)
    latencies: list[float] = []
    errors = 0
    counter = iter(range(calls))

    async def worker() -> None:
        nonlocal errors
        for i in counter:
            started = time.perf_counter()
            try:
                await call(i)
            except Exception:
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return LoadResult(calls, errors, time.perf_counter() - started, latencies)


def in_process(target: Callable[..., None], *args: Any) -> tuple[Any, Any]:
    """Starts target(queue, *args) in a separate process (its own GIL and core) and returns
    the process and the first value it puts on the queue (e.g. the port it listens on)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(queue, *args), daemon=True)
    process.start()
    return process, queue.get(timeout=60)
