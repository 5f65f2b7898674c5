"""Run every benchmark module in this package (each exposes main() -> bool)."""

import importlib
import pkgutil
import sys

import bench

results = []
for module_info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
    if module_info.name in {"common", "__main__", "site", "urls"}:
        continue
    module = importlib.import_module(f"bench.{module_info.name}")
    results.append(module.main())
sys.exit(0 if all(results) else 1)
