"""What a gate run returns: the verdict, per-expectation outcomes and a plain-words message.

Pure data; no Great Expectations or database imports, so callers (CLI, DAG tasks) can import it
cheaply and tests can build results by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from expectations.errors import GateFailed

Severity = Literal["critical", "warning"]
Outcome = Literal["pass", "warn", "fail"]
Gate = Literal["raw", "mart"]

MAX_SAMPLE_KEYS = 10


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's result, as recorded in audit.validation_results."""

    expectation_type: str
    expectation_name: str
    column: str | None
    severity: Severity
    success: bool
    observed_value: str | None
    unexpected_count: int | None
    sample_keys: tuple[str, ...] = ()
    why: str = ""
    error: str | None = None          # the exception text when the check itself could not run
    key_column: str | None = None     # what sample_keys are, when not the gate's key (e.g. load_id)
    details: dict = field(default_factory=dict, compare=False, repr=False)

    def describe(self, key_name: str) -> str:
        """One line a data engineer can act on: what failed, where, how much, which keys."""
        where = f" on column {self.column}" if self.column else ""
        label = self.expectation_type
        if self.expectation_name != self.expectation_type:
            label = f"{self.expectation_name} ({self.expectation_type})"
        line = f"[{self.severity}] {label}{where}"
        if self.error:
            return f"{line}: could not be evaluated: {self.error}"
        if self.unexpected_count is not None:
            line += f": {self.unexpected_count} unexpected row(s)"
        if self.observed_value is not None and self.observed_value != str(self.unexpected_count):
            line += f"; observed {self.observed_value}"
        if self.sample_keys:
            line += f"; offending {self.key_column or key_name}: {', '.join(self.sample_keys)}"
        if self.why:
            line += f". Why it matters: {self.why}"
        return line


def decide(outcomes: list[ExpectationOutcome]) -> Outcome:
    """fail on any failed critical expectation, warn on any failed warning, else pass."""
    failed = [o for o in outcomes if not o.success]
    if any(o.severity == "critical" for o in failed):
        return "fail"
    if failed:
        return "warn"
    return "pass"


@dataclass(frozen=True)
class GateResult:
    gate: Gate
    outcome: Outcome
    suite_name: str
    run_id: str
    load_id: int | None
    key_name: str                      # dossier_code (raw) or dossier_id (mart)
    outcomes: tuple[ExpectationOutcome, ...]
    data_docs_path: Path | None        # this run's validation page; None if Data Docs failed
    data_docs_index: Path | None
    validation_run_id: int | None = None

    @property
    def failed(self) -> list[ExpectationOutcome]:
        """Failed expectations, critical ones first."""
        failed = [o for o in self.outcomes if not o.success]
        return sorted(failed, key=lambda o: o.severity != "critical")

    @property
    def expectations(self) -> int:
        return len(self.outcomes)

    @property
    def successful(self) -> int:
        return sum(o.success for o in self.outcomes)

    @property
    def critical_failures(self) -> int:
        return sum(not o.success and o.severity == "critical" for o in self.outcomes)

    @property
    def warnings(self) -> int:
        return sum(not o.success and o.severity == "warning" for o in self.outcomes)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "expectations": self.expectations,
            "successful": self.successful,
            "critical_failures": self.critical_failures,
            "warnings": self.warnings,
        }

    def message(self) -> str:
        subject = f"load {self.load_id}" if self.load_id is not None else f"run {self.run_id}"
        verdict = {"pass": "passed", "warn": "passed with warnings", "fail": "FAILED"}[self.outcome]
        head = (
            f"{self.gate} gate {verdict} for {subject} (suite {self.suite_name}): "
            f"{self.successful} of {self.expectations} expectations met, "
            f"{self.critical_failures} critical failure(s), {self.warnings} warning(s)."
        )
        lines = [head] + [f"- {o.describe(self.key_name)}" for o in self.failed]
        if self.data_docs_path:
            lines.append(f"Data Docs: {self.data_docs_path}")
        return "\n".join(lines)

    def raise_for_failure(self) -> GateResult:
        """Raise GateFailed(message) when a critical expectation failed; else return self."""
        if self.outcome == "fail":
            raise GateFailed(self.message())
        return self
