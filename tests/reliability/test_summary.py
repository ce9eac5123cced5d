"""The reliability summary (summary.py) prints what a run did: planned cases beside run, survived and
skipped ones, rows lost as counted even when an assertion fails, and the session's status; the same
under pytest-xdist, where the workers' records meet in the controller."""

from __future__ import annotations

import os

import pytest

from ingest.settings import PROJECT_ROOT

CASES = """
import pytest

@pytest.mark.fault
def test_survives(reliability):
    with reliability.fault("survives") as case:
        case.count_lost_rows(lambda: 0)

@pytest.mark.fault
def test_loses_rows(reliability):
    with reliability.fault("loses three rows") as case:
        case.count_lost_rows(lambda: 3)
        assert 1 == 2, "the counts differ"

@pytest.mark.fault
def test_cannot_run_here(reliability):
    pytest.skip("no tiny disk here")

@pytest.mark.bad_input
@pytest.mark.parametrize("name", ["a", "b"])
def test_handled(reliability, name):
    with reliability.bad_input(name):
        pass

@pytest.mark.bad_input
def test_fails_before_its_block(reliability):
    raise RuntimeError("set-up failed")

@pytest.mark.bad_input
def test_left_out(reliability):
    with reliability.bad_input("left out"):
        pass
"""


@pytest.fixture
def cases(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest('pytest_plugins = ["tests.reliability.summary"]')
    pytester.makeini("[pytest]\nmarkers =\n    fault: f\n    bad_input: b\n")
    pytester.makepyfile(test_cases=CASES)
    return pytester


def summary(result: pytest.RunResult) -> list[str]:
    lines = result.outlines
    start = next(n for n, line in enumerate(lines) if "reliability summary" in line)
    return [line for line in lines[start + 1:] if line and not line.startswith("=")][:6]


EXPECTED = [
    "faults:     3 planned, 2 run, 1 survived, 1 skipped",
    "  not survived: test_cases.py::test_loses_rows (loses three rows)",
    "  skipped: test_cases.py::test_cannot_run_here (no tiny disk here)",
    "bad inputs: 4 planned, 2 run, 2 handled, 0 skipped, 1 deselected, 1 not reached",
    "  not reached: test_cases.py::test_fails_before_its_block",
    "rows lost:  3, counted in 2 cases  (must be 0)",
]


def test_the_summary_counts_what_happened_against_what_was_planned(cases):
    result = cases.runpytest_inprocess("-p", "no:cacheprovider", "-k", "not left_out")
    assert summary(result) == EXPECTED
    assert "session:    FAILED (pytest exit status 1)" in result.outlines


def test_under_xdist_the_workers_records_add_up(cases, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
    result = cases.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "-k", "not left_out")
    assert summary(result) == EXPECTED


def test_a_passing_run_says_so(cases):
    result = cases.runpytest_inprocess("-p", "no:cacheprovider", "-k", "survives or handled")
    lines = summary(result)
    assert lines[0] == "faults:     3 planned, 1 run, 1 survived, 0 skipped, 2 deselected"
    assert lines[1] == "bad inputs: 4 planned, 2 run, 2 handled, 0 skipped, 2 deselected"
    assert "rows lost:  0, counted in 1 case" in result.outlines
    assert "session:    passed" in result.outlines


def test_a_case_the_summary_cannot_plan_is_refused(pytester):
    pytester.makeconftest('pytest_plugins = ["tests.reliability.summary"]')
    pytester.makepyfile(test_unplanned="def test_x(reliability):\n    with reliability.fault('x'):\n        pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert any("without @pytest.mark.fault or @pytest.mark.bad_input" in line for line in result.errlines)
