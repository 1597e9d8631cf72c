"""`python -m bench.sampler OUT MODULE`: runs MODULE as __main__ while a thread samples every
thread's stack each millisecond; at exit writes the hottest functions (self and total) to OUT.
A poor man's py-spy for the benchmark's service processes (SGZ_BENCH_PROFILE=visit)."""

from __future__ import annotations

import atexit
import collections
import runpy
import sys
import threading
import time
from pathlib import Path
from typing import Any


def main() -> None:
    out, module = Path(sys.argv[1]), sys.argv[2]
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    me = threading.get_ident()

    def sample() -> None:
        nonlocal samples
        while True:
            time.sleep(0.001)
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                name = frame.f_code.co_name
                if name in ("wait", "select", "_worker", "sleep", "poll", "_run", "accept"):
                    continue
                samples += 1
                seen = set()
                top = True
                f: Any = frame
                while f is not None:
                    key = f"{f.f_code.co_filename.split('site-packages/')[-1]}:{f.f_code.co_name}"
                    if top:
                        own[key] += 1
                        top = False
                    if key not in seen:
                        total[key] += 1
                        seen.add(key)
                    f = f.f_back

    def write() -> None:
        lines = [f"{samples} busy samples"]
        lines += ["-- self --"] + [f"{n:6d} {k}" for k, n in own.most_common(40)]
        lines += ["-- total --"] + [f"{n:6d} {k}" for k, n in total.most_common(60)]
        out.write_text("\n".join(lines))

    atexit.register(write)
    threading.Thread(target=sample, daemon=True).start()
    sys.argv = [module]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
