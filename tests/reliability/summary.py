"""pytest plugin: the reliability summary at the end of a test run, computed from what happened.

A reliability test declares its case with a marker (so the case is planned when it is collected,
whether it then runs, skips or is deselected) and wraps what it does with the `reliability` fixture:

    @pytest.mark.fault                                     # or @pytest.mark.bad_input
    def test_kill_9(fresh_database, reliability):
        with reliability.fault("kill -9 during COPY") as case:      # run now; survived if the block passes
            case.count_lost_rows(lambda: ROWS - raw_counts(url)[1])  # counted when the block ends, however it ends
            ...

The summary then prints, for faults and for bad inputs: planned (the collected cases, deselected
ones included), run (blocks entered), survived / handled (blocks that ended without an exception),
skipped (cases pytest skipped) and, when not 0, deselected and not reached (failed before their
block, or the run stopped). Rows lost is the sum of what the counters returned, each counted when
its block ended, before or after a failing assertion. The session's status is printed beside.
Under pytest-xdist each worker sends its records to the controller.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field

import pytest

KINDS = {"fault": ("faults", "survived"), "bad_input": ("bad inputs", "handled")}
_STATE = pytest.StashKey["_Records"]()
_WORKER_KEY = "parwh_reliability"


@dataclass
class _Records:
    """Everything keyed by test node id, so records merged from several xdist workers add up once."""
    planned: dict[str, str] = field(default_factory=dict)       # node id -> kind
    deselected: set[str] = field(default_factory=set)
    run: dict[str, str] = field(default_factory=dict)           # node id -> the case's name
    survived: set[str] = field(default_factory=set)
    skipped: dict[str, str] = field(default_factory=dict)       # node id -> reason
    lost: dict[str, int | None] = field(default_factory=dict)   # node id -> rows lost (None: could not count)

    def as_dict(self) -> dict:
        return {"planned": self.planned, "deselected": sorted(self.deselected), "run": self.run,
                "survived": sorted(self.survived), "skipped": self.skipped, "lost": self.lost}

    def merge(self, other: dict) -> None:
        self.planned.update(other.get("planned", {}))
        self.deselected.update(other.get("deselected", []))
        self.run.update(other.get("run", {}))
        self.survived.update(other.get("survived", []))
        self.skipped.update(other.get("skipped", {}))
        self.lost.update(other.get("lost", {}))


def _records(config: pytest.Config) -> _Records:
    if _STATE not in config.stash:
        config.stash[_STATE] = _Records()
    return config.stash[_STATE]


def _declared_kind(item: pytest.Item) -> str | None:
    kinds = [kind for kind in KINDS if item.get_closest_marker(kind)]
    if len(kinds) > 1:
        raise pytest.UsageError(f"{item.nodeid}: marked both fault and bad_input; a test is one case")
    uses_fixture = "reliability" in getattr(item, "fixturenames", ())
    if kinds and not uses_fixture:
        raise pytest.UsageError(f"{item.nodeid}: marked {kinds[0]} but takes no `reliability` fixture")
    if uses_fixture and not kinds:
        raise pytest.UsageError(f"{item.nodeid}: takes the `reliability` fixture without @pytest.mark.fault or "
                                "@pytest.mark.bad_input, so the summary cannot plan it")
    return kinds[0] if kinds else None


class _Case:
    def __init__(self) -> None:
        self.counter: Callable[[], int] | None = None

    def count_lost_rows(self, counter: Callable[[], int]) -> None:
        """counter() -> rows delivered that are neither loaded nor rejected; called when the block ends."""
        self.counter = counter


class ReliabilityTally:
    def __init__(self, records: _Records, node: pytest.Item):
        self.records, self.node = records, node

    @contextlib.contextmanager
    def _case(self, kind: str, name: str) -> Iterator[_Case]:
        nodeid = self.node.nodeid
        if not self.node.get_closest_marker(kind):
            pytest.fail(f"a {kind} block in a test not marked @pytest.mark.{kind}: the summary did not plan it")
        if nodeid in self.records.run:
            pytest.fail("one reliability case per test: this test already ran one")
        self.records.run[nodeid] = name
        case = _Case()
        try:
            yield case
        except BaseException:
            if case.counter is not None:
                try:
                    self.records.lost[nodeid] = case.counter()
                except Exception:
                    self.records.lost[nodeid] = None   # the block's own error is the one to report
            raise
        if case.counter is not None:
            lost = case.counter()
            self.records.lost[nodeid] = lost
            assert lost >= 0, f"rows lost counted as {lost}: the counter counts rows twice"
        self.records.survived.add(nodeid)

    def fault(self, name: str) -> contextlib.AbstractContextManager[_Case]:
        return self._case("fault", name)

    def bad_input(self, name: str) -> contextlib.AbstractContextManager[_Case]:
        return self._case("bad_input", name)


@pytest.fixture
def reliability(request: pytest.FixtureRequest) -> ReliabilityTally:
    return ReliabilityTally(_records(request.config), request.node)


def pytest_deselected(items: list[pytest.Item]) -> None:
    for item in items:
        kind = _declared_kind(item)
        if kind:
            records = _records(item.config)
            records.planned[item.nodeid] = kind
            records.deselected.add(item.nodeid)


def pytest_collection_finish(session: pytest.Session) -> None:
    records = _records(session.config)
    for item in session.items:
        kind = _declared_kind(item)
        if kind:
            records.planned[item.nodeid] = kind


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and not hasattr(report, "wasxfail") and item.nodeid in _records(item.config).planned:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _records(item.config).skipped[item.nodeid] = reason.removeprefix("Skipped: ")
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the records to the controller
        workeroutput[_WORKER_KEY] = _records(session.config).as_dict()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # the xdist controller: merge the workers' records
    _records(node.config).merge(getattr(node, "workeroutput", {}).get(_WORKER_KEY, {}))


def _kind_line(records: _Records, kind: str) -> tuple[str, list[str]]:
    """'faults 11 planned, 11 run, 11 survived, 0 skipped' and a line per case that did not survive."""
    label, passed = KINDS[kind]
    planned = sorted(nodeid for nodeid, k in records.planned.items() if k == kind)
    deselected = [n for n in planned if n in records.deselected]
    skipped = [n for n in planned if n in records.skipped and n not in deselected]
    run = [n for n in planned if n in records.run and n not in skipped]
    survived = [n for n in run if n in records.survived]
    not_reached = [n for n in planned if n not in deselected and n not in skipped and n not in run]
    line = f"{label + ':':<12}{len(planned)} planned, {len(run)} run, {len(survived)} {passed}, {len(skipped)} skipped"
    line += f", {len(deselected)} deselected" if deselected else ""
    line += f", {len(not_reached)} not reached" if not_reached else ""
    details = [f"  not {passed}: {n} ({records.run[n]})" for n in run if n not in survived]
    details += [f"  skipped: {n} ({records.skipped[n]})" for n in skipped]
    details += [f"  not reached: {n}" for n in not_reached]
    return line, details


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    records = _records(config)
    if getattr(config, "workeroutput", None) is not None or config.option.collectonly or not records.planned:
        return
    terminalreporter.section("reliability summary")
    for kind in KINDS:
        if kind in records.planned.values():
            line, details = _kind_line(records, kind)
            terminalreporter.write_line(line, red=bool(details), green=not details)
            for detail in details:
                terminalreporter.write_line(detail, red=True)
    counted = [n for n, lost in records.lost.items() if lost is not None]
    lost = sum(records.lost[n] for n in counted)
    uncounted = len(records.lost) - len(counted)
    terminalreporter.write_line(
        f"{'rows lost:':<12}{lost}, counted in {len(counted)} case{'' if len(counted) == 1 else 's'}"
        + (f", {uncounted} could not count" if uncounted else "")
        + ("  (must be 0)" if lost else ""), red=bool(lost or uncounted), green=not (lost or uncounted))
    status = "passed" if exitstatus == 0 else f"FAILED (pytest exit status {int(exitstatus)})"
    terminalreporter.write_line(f"{'session:':<12}{status}", red=exitstatus != 0, green=exitstatus == 0)
