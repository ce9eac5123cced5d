"""`make bench`: every benchmark of the project, each printing its results table.

Arguments are passed on to each benchmark (e.g. `python bench/run.py --rows 100000` for a quick run).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ingest_bench  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    return ingest_bench.main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
