"""`python -m bench [NAME ...] [--quick]`: runs the benchmarks, prints a table and writes JSON
under var/bench/. A benchmark is a module in BENCHMARKS with `run(quick: bool) -> list[Row]`."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.harness import Row

#: name -> module. Add a line here to register a benchmark.
BENCHMARKS: dict[str, str] = {
    "echo": "bench.echo",
    "visits": "bench.visits",
    "roster_queries": "bench.roster_queries",
    "roster_import": "bench.roster_import",
    "roster_export": "bench.roster_export",
    "assessment_pay": "bench.assessment_pay",
    "hr_renewals": "bench.hr_renewals",
    "finance_period": "bench.finance_period",
}


def _ratios(rows: list[Row]) -> None:
    by_case = {(r.benchmark, r.case): r for r in rows}
    for row in rows:
        if row.baseline is None:
            continue
        base = by_case.get((row.benchmark, row.baseline)) or by_case.get(("echo", row.baseline))
        if base is not None and base.figures.get(base.primary):
            row.ratio = round(row.figures[row.primary] / base.figures[base.primary], 3)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run (all: {', '.join(BENCHMARKS)})"
    )
    parser.add_argument("--quick", action="store_true", help="fewer iterations, for a smoke run")
    args = parser.parse_args()
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    console = Console(width=max(Console().width, 150))
    rows: list[Row] = []
    echo_rows: list[Row] = []
    for name in args.names or list(BENCHMARKS):
        console.print(f"[bold]running {name}[/bold]")
        module = importlib.import_module(BENCHMARKS[name])
        found: list[Row] = module.run(quick=args.quick)
        if name == "echo":
            echo_rows = found
        rows += found
    if echo_rows:
        # Service benchmarks name "echo" as their baseline: compare with the chosen server model.
        for row in rows:
            if row.baseline == "echo":
                row.baseline = echo_rows[0].case
    _ratios(rows)
    table = Table(title="sgz benchmarks (ratio = primary figure / its baseline's, same run)")
    for column in ("benchmark", "case", "primary", "p50 ms", "p99 ms", "other", "ratio", "vs"):
        table.add_column(column)
    for row in rows:
        figures = dict(row.figures)
        primary = f"{row.primary}={figures.pop(row.primary):g}"
        p50, p99 = figures.pop("p50_ms", None), figures.pop("p99_ms", None)
        other = ", ".join(f"{k}={v:g}" for k, v in figures.items())
        table.add_row(
            row.benchmark,
            row.case,
            primary,
            "" if p50 is None else f"{p50:g}",
            "" if p99 is None else f"{p99:g}",
            other,
            "" if row.ratio is None else f"{row.ratio:.3f}",
            row.baseline or "(baseline)",
        )
    console.print(table)
    out = Path(os.environ.get("SGZ_DATA_DIR", "var")) / "bench"
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    document = {
        "when": stamp,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "quick": args.quick,
        "rows": [asdict(r) for r in rows],
    }
    for path in (out / f"{stamp}.json", out / "latest.json"):
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False))
    console.print(f"figures written to {out / 'latest.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
