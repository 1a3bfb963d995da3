"""`python -m bench [name ...]`: run the benchmarks and print one table of figures."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import bench


def main(argv: list[str]) -> int:
    names = argv or sorted(m.name for m in pkgutil.iter_modules(bench.__path__))
    rows: list[tuple[str, str, str]] = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        for figure, value in module.run():
            rows.append((name, figure, value))
        print(f"# {name}: {time.perf_counter() - started:.1f}s", file=sys.stderr)
    width = max((len(f) for _, f, _ in rows), default=10)
    for name, figure, value in rows:
        print(f"{name:18} {figure:{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
