"""pytest plugin: the reliability summary at the end of `make test`.

Reliability tests take the `reliability` fixture and wrap what they do:

    with reliability.fault("kill -9 during COPY"):      # injected now; survived if the block passes
        ...
    with reliability.bad_input("empty.csv"):            # tried now; handled if the block passes
        ...
    reliability.rows_lost(count)                         # rows delivered that are neither loaded nor rejected

The terminal summary then prints faults injected / survived, bad inputs tried / handled and rows lost
(must be 0). Under pytest-xdist each worker sends its tally to the controller.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator

import pytest

_KEY = "parwh_reliability"
_FIELDS = ("faults_injected", "faults_survived", "bad_inputs_tried", "bad_inputs_handled", "rows_lost")


class ReliabilityTally:
    def __init__(self, counts: Counter):
        self.counts = counts

    @contextlib.contextmanager
    def fault(self, name: str) -> Iterator[None]:
        self.counts["faults_injected"] += 1
        yield
        self.counts["faults_survived"] += 1

    @contextlib.contextmanager
    def bad_input(self, name: str) -> Iterator[None]:
        self.counts["bad_inputs_tried"] += 1
        yield
        self.counts["bad_inputs_handled"] += 1

    def rows_lost(self, count: int) -> None:
        self.counts["rows_lost"] += count


def _counts(config: pytest.Config) -> Counter:
    if not hasattr(config, _KEY):
        setattr(config, _KEY, Counter())
    return getattr(config, _KEY)


@pytest.fixture
def reliability(request: pytest.FixtureRequest) -> ReliabilityTally:
    return ReliabilityTally(_counts(request.config))


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the tally to the controller
        workeroutput[_KEY] = dict(_counts(session.config))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # the xdist controller: add up the workers' tallies
    _counts(node.config).update(getattr(node, "workeroutput", {}).get(_KEY, {}))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    counts = _counts(config)
    if getattr(config, "workeroutput", None) is not None or not any(counts[f] for f in _FIELDS[:3]):
        return
    terminalreporter.section("reliability summary")
    terminalreporter.write_line(f"faults injected / survived:  {counts['faults_injected']} / "
                                f"{counts['faults_survived']}")
    terminalreporter.write_line(f"bad inputs tried / handled:  {counts['bad_inputs_tried']} / "
                                f"{counts['bad_inputs_handled']}")
    lost = counts["rows_lost"]
    terminalreporter.write_line(f"rows lost:                   {lost}" + ("" if lost == 0 else "  (must be 0!)"),
                                red=bool(lost), green=not lost)
