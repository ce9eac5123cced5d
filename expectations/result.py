"""What a gate run returns: the verdict, per-expectation outcomes and a plain-words message.

Pure data; no Great Expectations or database imports, so callers (CLI, DAG tasks) can import it
cheaply and tests can build results by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
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


def decide(outcomes: Iterable[ExpectationOutcome]) -> Outcome:
    """fail on any failed critical expectation, warn on any failed warning, else pass."""
    failed = [o for o in outcomes if not o.success]
    if any(o.severity == "critical" for o in failed):
        return "fail"
    if failed:
        return "warn"
    return "pass"


class _Tally:
    """Counts and verdict over `self.outcomes`, shared by one suite's result and a whole gate's."""

    outcomes: tuple[ExpectationOutcome, ...]

    @property
    def outcome(self) -> Outcome:
        return decide(self.outcomes)

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


@dataclass(frozen=True)
class SuiteResult(_Tally):
    """One suite validated once: one audit.validation_runs row and one Data Docs page."""

    suite_name: str
    key_name: str                      # the business key sampled for failures (dossier_code, dossier_id, ...)
    outcomes: tuple[ExpectationOutcome, ...]
    data_docs_path: Path | None = None  # this validation's page; None if Data Docs failed
    validation_run_id: int | None = None


@dataclass(frozen=True)
class GateResult(_Tally):
    """One gate run: the raw gate of one load (one or more suites) or the mart gate of one run.

    A portal export's raw gate validates its dossiers and its events (two suites); the load is
    quarantined when either fails critically. The convenience properties suite_name, key_name,
    data_docs_path and validation_run_id describe the first (primary) suite.
    """

    gate: Gate
    run_id: str
    load_id: int | None
    suites: tuple[SuiteResult, ...]
    data_docs_index: Path | None = None

    @property
    def outcomes(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(o for suite in self.suites for o in suite.outcomes)

    @property
    def suite_names(self) -> tuple[str, ...]:
        return tuple(suite.suite_name for suite in self.suites)

    @property
    def suite_name(self) -> str:
        return self.suites[0].suite_name

    @property
    def key_name(self) -> str:
        return self.suites[0].key_name

    @property
    def data_docs_path(self) -> Path | None:
        return self.suites[0].data_docs_path

    @property
    def validation_run_id(self) -> int | None:
        return self.suites[0].validation_run_id

    def suite(self, name: str) -> SuiteResult:
        for suite in self.suites:
            if suite.suite_name == name:
                return suite
        raise KeyError(f"the {self.gate} gate did not run suite {name!r} (it ran {', '.join(self.suite_names)})")

    def only(self, suite: SuiteResult) -> GateResult:
        """This gate narrowed to one of its suites (what that suite's validation_runs row records)."""
        return GateResult(self.gate, self.run_id, self.load_id, (suite,), self.data_docs_index)

    def message(self) -> str:
        subject = f"load {self.load_id}" if self.load_id is not None else f"run {self.run_id}"
        verdict = {"pass": "passed", "warn": "passed with warnings", "fail": "FAILED"}[self.outcome]
        several = len(self.suites) > 1
        suites = f"suites {', '.join(self.suite_names)}" if several else f"suite {self.suite_name}"
        head = (
            f"{self.gate} gate {verdict} for {subject} ({suites}): "
            f"{self.successful} of {self.expectations} expectations met, "
            f"{self.critical_failures} critical failure(s), {self.warnings} warning(s)."
        )
        failures = sorted(
            ((suite, o) for suite in self.suites for o in suite.failed), key=lambda pair: pair[1].severity != "critical"
        )
        lines = [head] + [
            f"- {suite.suite_name}: {o.describe(suite.key_name)}" if several else f"- {o.describe(suite.key_name)}"
            for suite, o in failures
        ]
        lines += [f"Data Docs: {suite.data_docs_path}" for suite in self.suites if suite.data_docs_path]
        return "\n".join(lines)

    def raise_for_failure(self) -> GateResult:
        """Raise GateFailed(message) when a critical expectation failed; else return self."""
        if self.outcome == "fail":
            raise GateFailed(self.message())
        return self
