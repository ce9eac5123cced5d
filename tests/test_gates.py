"""The raw and mart quality gates against a real, migrated warehouse database.

Each test inserts its own audit.loads rows and raw rows (or builds marts.fct_dossiers by hand),
runs the gate through Great Expectations with SQL pushdown, and checks the verdict, the audit
rows, the load's status and the Data Docs written to tmp_path.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

import psycopg
import pytest

from expectations import GateError, GateFailed, run_mart_gate, run_raw_gate
from expectations.outcomes import outcome_from_result
from expectations.result import decide
from expectations.suites import MART_SUITE, RAW_SUITE, build_suite, read_suite

warehouse = pytest.mark.warehouse

RUN_ID = "manual__2025-03-04T08:30:00+07:00"

GOOD_DOSSIER = {
    "gso_code": "01",
    "procedure_code": "1.005129",
    "channel": "2",
    "status": "Da tra ket qua",
    "status_code": "10",
    "received_at": "2025-03-04 08:30:00",
    "due_at": "2025-03-10 17:00:00",
    "finished_at": "2025-03-06 10:15:00",
}


def insert_load(url: str, dossiers: list[dict], *, rows_read_recorded: bool = True) -> int:
    """One finished load ('loaded', rows balanced) with the given dossiers, as the loader leaves it.

    rows_read_recorded=False leaves rows_read NULL, the one gap the table's check constraint
    lets through."""
    loaded = len(dossiers)
    with psycopg.connect(url) as conn:
        (load_id,) = conn.execute(
            "insert into audit.loads (source_kind, profile, file_name, file_sha256, rows_read,"
            " rows_loaded, rows_rejected, status, finished_at)"
            " values ('portal_export', 'test', %s, %s, %s, %s, 0, 'loaded', now()) returning load_id",
            (f"export_{uuid.uuid4().hex[:6]}.csv", uuid.uuid4().hex, loaded if rows_read_recorded else None,
             loaded),
        ).fetchone()
        for row_number, dossier in enumerate(dossiers, start=1):
            columns = ["_load_id", "_row_number", *dossier]
            conn.execute(
                f"insert into raw.portal_dossiers ({', '.join(columns)})"
                f" values ({', '.join(['%s'] * len(columns))})",
                (load_id, row_number, *dossier.values()),
            )
    return load_id


def dossier(code: str, **changes) -> dict:
    return {"dossier_code": code, **GOOD_DOSSIER, **changes}


def load_row(url: str, load_id: int) -> dict:
    with psycopg.connect(url) as conn:
        cur = conn.execute("select status, gate_outcome, error from audit.loads where load_id = %s", (load_id,))
        return dict(zip([c.name for c in cur.description], cur.fetchone(), strict=True))


def audit_results(url: str, validation_run_id: int) -> list[dict]:
    with psycopg.connect(url) as conn:
        cur = conn.execute(
            "select expectation_type, expectation_name, column_name, severity, success, observed_value,"
            " unexpected_count, sample_keys, load_id, run_id from audit.validation_results"
            " where validation_run_id = %s",
            (validation_run_id,),
        )
        return [dict(zip([c.name for c in cur.description], row, strict=True)) for row in cur.fetchall()]


def audit_run(url: str, validation_run_id: int) -> dict:
    with psycopg.connect(url) as conn:
        cur = conn.execute(
            "select run_id, gate, load_id, suite_name, outcome, expectations, critical_failures, warnings,"
            " data_docs_path, message from audit.validation_runs where validation_run_id = %s",
            (validation_run_id,),
        )
        return dict(zip([c.name for c in cur.description], cur.fetchone(), strict=True))


def index_links(index: Path) -> set[Path]:
    """Files the Data Docs index links to as plain HTML anchors (what works offline)."""
    hrefs = re.findall(r'<a\s[^>]*href="([^"#][^"]*)"', index.read_text(encoding="utf-8"))
    return {(index.parent / unquote(href)).resolve() for href in hrefs if "://" not in href}


def page_text(page: Path) -> str:
    markup = re.sub(r"<(script|style).*?</\1>", " ", page.read_text(encoding="utf-8"), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def gate_dirs(tmp_path: Path) -> dict:
    return {"site_dir": tmp_path / "site", "gx_root": tmp_path / "gx"}


def test_suites_in_git_build_without_losing_an_expectation():
    for name in (RAW_SUITE, MART_SUITE):
        reviewed = read_suite(name)
        built = build_suite(name)
        assert len(built.expectations) == len(reviewed["expectations"]), name
        assert {e.meta["severity"] for e in built.expectations} <= {"critical", "warning"}
        assert all(e.meta["why"] for e in built.expectations)


@warehouse
def test_clean_load_passes_and_ignores_other_loads(fresh_database, tmp_path):
    url = fresh_database
    # An earlier, broken delivery of the same dossier: another load's rows must not count.
    insert_load(url, [dossier("H15.50.05.13-261008-0001", status_code="99")])
    load_id = insert_load(
        url,
        [
            dossier("H15.50.05.13-261008-0001"),
            dossier("H15.50.05.13-261008-0002", channel="", finished_at=None, status_code="4"),
            dossier("H15.50.05.13-261008-0003", received_at=None, due_at=None, finished_at=None,
                    status_code="1", channel="1"),
        ],
    )

    result = run_raw_gate(url, load_id, RUN_ID, **gate_dirs(tmp_path))

    assert result.outcome == "pass", result.message()
    assert result.failed == []
    assert load_row(url, load_id) == {"status": "loaded", "gate_outcome": "pass", "error": None}

    rows = audit_results(url, result.validation_run_id)
    assert len(rows) == len(read_suite(RAW_SUITE)["expectations"])
    assert all(r["success"] and r["load_id"] == load_id and r["run_id"] == RUN_ID for r in rows)
    run = audit_run(url, result.validation_run_id)
    assert (run["outcome"], run["gate"], run["load_id"], run["critical_failures"]) == ("pass", "raw", load_id, 0)

    index = tmp_path / "site" / "data_docs" / "index.html"
    assert result.data_docs_index == index and index.exists()
    assert result.data_docs_path.exists() and result.data_docs_path in index_links(index)
    assert run["data_docs_path"] == str(result.data_docs_path)


@warehouse
def test_bad_load_is_quarantined_with_a_message_naming_check_column_and_keys(fresh_database, tmp_path):
    url = fresh_database
    earlier = run_raw_gate(url, insert_load(url, [dossier("OK-1")]), "earlier_run", **gate_dirs(tmp_path))
    load_id = insert_load(
        url,
        [
            dossier("OK-2"),
            dossier("BAD-STATUS-1", status="Cho phe duyet", status_code="11"),
            dossier("BAD-TIME-1", received_at="2025-03-04 08:30:00", finished_at="2025-03-03 16:00:00"),
        ],
    )

    result = run_raw_gate(url, load_id, RUN_ID, **gate_dirs(tmp_path))

    assert result.outcome == "fail"
    failed = {(o.expectation_name, o.column): o for o in result.failed}
    status_check = failed[("expect_column_values_to_be_in_set", "status_code")]
    assert status_check.severity == "critical"
    assert status_check.sample_keys == ("BAD-STATUS-1",) and status_check.unexpected_count == 1
    time_check = failed[("finished_not_before_received", "finished_at")]
    assert time_check.sample_keys == ("BAD-TIME-1",) and time_check.unexpected_count == 1
    assert result.critical_failures == 2

    message = result.message()
    for words in ("expect_column_values_to_be_in_set", "status_code", "BAD-STATUS-1",
                  "finished_not_before_received", "finished_at", "BAD-TIME-1"):
        assert words in message
    assert "OK-2" not in message

    assert load_row(url, load_id) == {"status": "quarantined", "gate_outcome": "fail", "error": message}
    recorded = {(r["expectation_name"], r["column_name"]): r for r in audit_results(url, result.validation_run_id)}
    assert recorded[("expect_column_values_to_be_in_set", "status_code")]["sample_keys"] == ["BAD-STATUS-1"]
    assert recorded[("finished_not_before_received", "finished_at")]["success"] is False
    run = audit_run(url, result.validation_run_id)
    assert (run["outcome"], run["critical_failures"], run["message"]) == ("fail", 2, message)

    # Data Docs keep history: both runs' pages are linked from the one index.
    links = index_links(tmp_path / "site" / "data_docs" / "index.html")
    assert {earlier.data_docs_path, result.data_docs_path} <= links
    # The bounded sample reaches the HTML page too: the offending value and its count.
    assert re.search(r"Unexpected Value\s+Count\s+11\s+1\b", page_text(result.data_docs_path))


@warehouse
def test_warning_only_problem_warns_and_keeps_the_load_visible(fresh_database, tmp_path):
    url = fresh_database
    load_id = insert_load(url, [dossier("W-1"), dossier("W-2", procedure_code="1.00512")])

    result = run_raw_gate(url, load_id, RUN_ID, **gate_dirs(tmp_path))

    assert result.outcome == "warn"
    [warning] = result.failed
    assert (warning.severity, warning.column, warning.sample_keys) == ("warning", "procedure_code", ("W-2",))
    assert "procedure_code" in result.message() and "W-2" in result.message()
    assert load_row(url, load_id) == {"status": "loaded", "gate_outcome": "warn", "error": None}
    assert audit_run(url, result.validation_run_id)["warnings"] == 1


@warehouse
def test_unbalanced_load_fails_the_audit_check(fresh_database, tmp_path):
    url = fresh_database
    load_id = insert_load(url, [dossier("U-1")], rows_read_recorded=False)

    result = run_raw_gate(url, load_id, RUN_ID, **gate_dirs(tmp_path))

    assert result.outcome == "fail"
    [balance] = result.failed
    assert (balance.expectation_name, balance.sample_keys) == ("load_rows_balance", (str(load_id),))
    assert f"offending load_id: {load_id}" in result.message()
    assert load_row(url, load_id)["status"] == "quarantined"


@warehouse
def test_empty_load_fails_on_row_count(fresh_database, tmp_path):
    url = fresh_database
    load_id = insert_load(url, [])

    result = run_raw_gate(url, load_id, RUN_ID, **gate_dirs(tmp_path))

    assert [(o.expectation_type, o.observed_value) for o in result.failed] == [
        ("expect_table_row_count_to_be_between", "0")
    ]
    assert load_row(url, load_id)["status"] == "quarantined"


@warehouse
def test_gate_refuses_a_load_that_is_not_loaded(fresh_database, tmp_path):
    url = fresh_database
    load_id = insert_load(url, [dossier("S-1")])
    with psycopg.connect(url) as conn:
        conn.execute("update audit.loads set status = 'started' where load_id = %s", (load_id,))
    with pytest.raises(GateError, match="status 'started'"):
        run_raw_gate(url, load_id, RUN_ID, **gate_dirs(tmp_path))


FCT_DOSSIERS_DDL = """
create table marts.fct_dossiers (
    dossier_id text, gso_code text, list_version text, gso_code_2025 text, procedure_code text,
    agency_code text, received_at timestamptz, due_at timestamptz, finished_at timestamptz,
    returned_at timestamptz, working_days_used integer, outcome text, channel text,
    is_paid_online boolean, status_code integer, statutory_limit_working_days numeric default 5
)
"""


def create_fct_dossiers(url: str, rows: list[tuple]) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(FCT_DOSSIERS_DDL)
        for row in rows:
            conn.execute(
                "insert into marts.fct_dossiers (dossier_id, gso_code, list_version, gso_code_2025,"
                " received_at, finished_at, working_days_used, outcome, status_code)"
                " values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                row,
            )


GOOD_FACTS = [
    ("D-1", "01", "2004", "01", "2025-03-04 01:30:00+00", "2025-03-05 03:00:00+00", 1, "early", 10),
    ("D-2", "01", "2004", "01", "2025-03-04 01:30:00+00", None, 3, "in_progress", 4),
    ("D-3", "79", "2025", "79", "2025-07-04 01:30:00+00", None, None, None, 7),
]


@warehouse
def test_mart_gate_passes_on_good_rows(fresh_database, tmp_path):
    url = fresh_database
    create_fct_dossiers(url, GOOD_FACTS)

    result = run_mart_gate(url, RUN_ID, **gate_dirs(tmp_path))

    assert result.outcome == "pass", result.message()
    assert result.raise_for_failure() is result
    run = audit_run(url, result.validation_run_id)
    assert (run["gate"], run["load_id"], run["suite_name"], run["outcome"]) == ("mart", None, MART_SUITE, "pass")
    assert len(audit_results(url, result.validation_run_id)) == len(read_suite(MART_SUITE)["expectations"])


@warehouse
def test_mart_gate_fails_naming_the_column_and_the_dossiers(fresh_database, tmp_path):
    url = fresh_database
    create_fct_dossiers(
        url,
        [
            *GOOD_FACTS,
            ("D-NEG", "01", "2004", "01", "2025-03-04 01:30:00+00", "2025-03-06 03:00:00+00", -2, "early", 9),
            ("D-NOMAP", "15", "2004", None, "2025-03-04 01:30:00+00", None, 0, "in_progress", 4),
        ],
    )
    unbalanced = insert_load(url, [dossier("M-1")], rows_read_recorded=False)

    result = run_mart_gate(url, RUN_ID, **gate_dirs(tmp_path))

    assert result.outcome == "fail"
    by_column = {o.column: o for o in result.failed}
    assert by_column["working_days_used"].sample_keys == ("D-NEG",)
    assert by_column["gso_code_2025"].severity == "warning"
    assert by_column["gso_code_2025"].sample_keys == ("D-NOMAP",)
    assert by_column["rows_read"].sample_keys == (str(unbalanced),)
    with pytest.raises(GateFailed) as failure:
        result.raise_for_failure()
    assert "working_days_used" in str(failure.value) and "D-NEG" in str(failure.value)
    recorded = audit_results(url, result.validation_run_id)
    assert {r["column_name"] for r in recorded if not r["success"]} == {"working_days_used", "gso_code_2025",
                                                                          "rows_read"}
    assert json.dumps(by_column["working_days_used"].details["result"]["partial_unexpected_list"]) == "[-2]"


def test_outcome_names_rows_without_a_key_by_their_row_number():
    gx_result = {
        "success": False,
        "expectation_config": {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "dossier_code"},
            "meta": {"severity": "critical", "why": "identity"},
        },
        "result": {
            "element_count": 3,
            "unexpected_count": 1,
            "unexpected_percent": 33.3,
            "partial_unexpected_list": [None],
            "partial_unexpected_index_list": [{"dossier_code": None, "_row_number": 7}],
        },
        "exception_info": {"raised_exception": False, "exception_message": None},
    }
    outcome = outcome_from_result(gx_result, "dossier_code")
    assert outcome.sample_keys == ("row 7 (no dossier_code)",)
    assert (outcome.column, outcome.unexpected_count, outcome.success) == ("dossier_code", 1, False)


def test_an_expectation_that_raised_counts_as_failed_with_its_error():
    gx_result = {
        "success": False,
        "expectation_config": {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "working_days_used", "min_value": 0},
            "meta": {"severity": "warning", "why": "w"},
        },
        "result": {},
        "exception_info": {
            "('column_values.between.condition', 'abc', ())": {
                "raised_exception": True,
                "exception_message": 'The column "working_days_used" does not exist.',
            }
        },
    }
    outcome = outcome_from_result(gx_result, "dossier_id")
    assert not outcome.success and "does not exist" in outcome.error
    assert decide([outcome]) == "warn"
    assert decide([replace(outcome, severity="critical")]) == "fail"
    assert decide([replace(outcome, success=True, error=None)]) == "pass"


@warehouse
def test_an_unjudgeable_dossier_warns_instead_of_failing_the_run(fresh_database, tmp_path):
    url = fresh_database
    create_fct_dossiers(url, GOOD_FACTS)
    with psycopg.connect(url) as conn:
        # Finished, no due date, procedure not in the catalogue: no outcome can be given.
        conn.execute(
            "insert into marts.fct_dossiers (dossier_id, gso_code, list_version, gso_code_2025, received_at,"
            " finished_at, working_days_used, outcome, status_code, statutory_limit_working_days)"
            " values ('D-UNKNOWN-LIMIT', '01', '2004', '01', '2025-03-04 01:30:00+00', '2025-03-05 03:00:00+00',"
            " 1, null, 10, null)"
        )

    result = run_mart_gate(url, RUN_ID, **gate_dirs(tmp_path))

    assert result.outcome == "warn", result.message()
    (warning,) = result.failed
    assert (warning.expectation_name, warning.severity, warning.sample_keys) == (
        "unjudgeable_dossier", "warning", ("D-UNKNOWN-LIMIT",))
