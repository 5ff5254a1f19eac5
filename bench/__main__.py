"""Run the benchmarks: `make bench` (all) or `make bench BENCH_ARGS=billing_pdf`.

Each `bench/<name>.py` module defines `run() -> dict`, measures the portal beside a
baseline taken in the same run, prints a small report and returns its ratios. Results
are written to `bench/results/<name>.json`.
"""

import importlib
import json
import os
import pkgutil
import sys
from pathlib import Path

import django


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onespace.settings")
    django.setup()
    here = Path(__file__).resolve().parent
    names = argv or sorted(
        info.name
        for info in pkgutil.iter_modules([str(here)])
        if not info.name.startswith("_")
    )
    results_dir = here / "results"
    results_dir.mkdir(exist_ok=True)
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}")
        result = module.run()
        (results_dir / f"{name}.json").write_text(
            json.dumps(result, indent=2, default=str)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
