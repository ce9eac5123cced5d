"""Quality gates: the Great Expectations suites and the runner that turns results into
pass / warn / fail, audit rows and Data Docs.

    from expectations import run_raw_gate, run_mart_gate, GateFailed

Importing this package is cheap; Great Expectations is imported when a gate runs.
"""

from expectations.errors import GateError, GateFailed
from expectations.gate import run_mart_gate, run_raw_gate
from expectations.result import ExpectationOutcome, GateResult, SuiteResult

__all__ = [
    "ExpectationOutcome",
    "GateError",
    "GateFailed",
    "GateResult",
    "SuiteResult",
    "run_mart_gate",
    "run_raw_gate",
]
