"""`make bench`: every benchmark of the project, each printing its results table.

    .venv/bin/python bench/run.py [--only ingest|bi|marts] [benchmark arguments]

Without --only, the ingest benchmark runs with the arguments given (e.g. `--rows 100000` for a
quick run), then the BI benchmark with its defaults (5M dossiers; `--bi-dossiers N` to change).
With --only, the arguments go to that benchmark alone (`bench/run.py --only bi --dossiers 1000000`).
The marts benchmark (incremental against full refresh) runs only with `--only marts`
(`bench/run.py --only marts --dossiers 200000`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bi_bench  # noqa: E402
import ingest_bench  # noqa: E402
import marts_bench  # noqa: E402

BENCHMARKS = {"ingest": ingest_bench.main, "bi": bi_bench.main, "marts": marts_bench.main}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], add_help=False)
    parser.add_argument("--only", choices=sorted(BENCHMARKS))
    parser.add_argument("--bi-dossiers", type=int, help="dossiers for the BI benchmark when all benchmarks run")
    known, rest = parser.parse_known_args(argv if argv is not None else sys.argv[1:])
    if known.only:
        return BENCHMARKS[known.only](rest)
    codes = [ingest_bench.main(rest)]
    codes.append(bi_bench.main(["--dossiers", str(known.bi_dossiers)] if known.bi_dossiers else []))
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
