"""Wall-clock targets of issue 17 that a single command meets or misses: `parwh demo` after install
(<= 120 s) and the test suite (<= 600 s).

    .venv/bin/python bench/wall_clock_bench.py demo      # parwh demo in a new, empty PARWH_HOME
    .venv/bin/python bench/wall_clock_bench.py suite     # `make test`, as CI runs it
    .venv/bin/python bench/wall_clock_bench.py demo suite

`demo` runs `parwh demo` with PARWH_HOME pointing at a new folder (a new embedded warehouse, new
Airflow metadata, 2,000 SYNTHETIC dossiers, the nightly DAG once through `airflow dags test`), then
stops that warehouse and removes the folder. `suite` runs `make test` in the checkout. Each prints
its wall time, the load average before it started, the date and a verdict; the script exits 1 when
a target is missed and 2 when a command failed. Results go to .local/bench/wall_clock_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = ROOT / ".local" / "bench" / "wall_clock_results.json"
TARGET_SECONDS = {"demo": 120.0, "suite": 600.0}


def _run(command: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    started = time.perf_counter()
    proc = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - started, proc.returncode, (proc.stdout + proc.stderr)[-3000:]


def measure(what: str) -> dict:
    env = dict(os.environ)
    home = None
    if what == "demo":
        home = Path(tempfile.mkdtemp(prefix="parwh_demo_bench_"))
        env["PARWH_HOME"] = str(home)
        command = [str(Path(sys.executable).with_name("parwh")), "demo"]
    else:
        command = ["make", "test"]
    load = os.getloadavg()[0]
    print(f"{what}: {' '.join(command)} (load average {load:.1f})", flush=True)
    try:
        seconds, code, tail = _run(command, env)
    finally:
        if home is not None:
            subprocess.run([str(Path(sys.executable).with_name("parwh")), "warehouse", "stop"], env=env,
                           cwd=ROOT, capture_output=True)
            shutil.rmtree(home, ignore_errors=True)
    target = TARGET_SECONDS[what]
    verdict = "FAILED" if code else ("met" if seconds <= target else "NOT met")
    print(f"  {seconds:.1f} s (target <= {target:.0f} s): {verdict}", flush=True)
    if code:
        print(tail, file=sys.stderr)
    return {"what": what, "seconds": round(seconds, 1), "target_seconds": target, "exit_code": code,
            "verdict": verdict, "load_average_before": round(load, 2),
            "date": datetime.now(UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="+", choices=sorted(TARGET_SECONDS))
    args = parser.parse_args(argv)
    results = [measure(what) for what in args.what]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2), encoding="utf-8")
    if any(r["exit_code"] for r in results):
        return 2
    return 0 if all(r["verdict"] == "met" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
