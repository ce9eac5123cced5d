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
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import unquote

import psycopg
import pytest

from expectations import GateError, GateFailed, run_mart_gate, run_raw_gate
from expectations.outcomes import outcome_from_result
from expectations.result import decide
from expectations.suites import (
    EVENTS_SUITE,
    INDEX_SUITE,
    MART_SUITE,
    RAW_SUITE,
    SUITE_NAMES,
    SUITES_DIR,
    build_suite,
    read_suite,
)

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


def insert_load(url: str, dossiers: list[dict], *, rows_read_recorded: bool = True,
                events: list[dict] = (), source_kind: str = "portal_export", table: str = "portal_dossiers") -> int:
    """One finished load ('loaded', rows balanced) with the given rows, as the loader leaves it.

    rows_read_recorded=False leaves rows_read NULL, the one gap the table's check constraint
    lets through. events go to raw.portal_dossier_events with the load's id."""
    loaded = len(dossiers)
    with psycopg.connect(url) as conn:
        (load_id,) = conn.execute(
            "insert into audit.loads (source_kind, profile, file_name, file_sha256, rows_read,"
            " rows_loaded, rows_rejected, status, finished_at)"
            " values (%s, 'test', %s, %s, %s, %s, 0, 'loaded', now()) returning load_id",
            (source_kind, f"export_{uuid.uuid4().hex[:6]}.csv", uuid.uuid4().hex,
             loaded if rows_read_recorded else None, loaded),
        ).fetchone()
        for row_number, row in enumerate(dossiers, start=1):
            insert_row(conn, table, {"_load_id": load_id, "_row_number": row_number, **row})
        for event in events:
            insert_row(conn, "portal_dossier_events", {"_load_id": load_id, **event})
    return load_id


def insert_row(conn: psycopg.Connection, table: str, row: dict) -> None:
    conn.execute(
        f"insert into raw.{table} ({', '.join(row)}) values ({', '.join(['%s'] * len(row))})",
        tuple(row.values()),
    )


def supplement(code: str, row_number: int, seq: int = 1, **changes) -> dict:
    return {"dossier_code": code, "_row_number": row_number, "event_kind": "supplement", "event_seq": seq,
            "requested_at": "2025-03-04 09:00:00", "supplement_received_at": "2025-03-05 10:00:00", **changes}


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
    assert {path.stem for path in SUITES_DIR.glob("*.json")} == set(SUITE_NAMES)
    for name in SUITE_NAMES:
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
        events=[
            supplement("H15.50.05.13-261008-0001", 1, 1),
            supplement("H15.50.05.13-261008-0001", 1, 2, requested_at="2025-03-05 11:00:00",
                       supplement_received_at=None),
            {"dossier_code": "H15.50.05.13-261008-0002", "_row_number": 2, "event_kind": "processing_step",
             "event_seq": 1, "occurred_at": "2025-03-04 10:00:00", "department": "Mot cua"},
        ],
    )

    result = run_raw_gate(url, load_id, RUN_ID, **gate_dirs(tmp_path))

    assert result.outcome == "pass", result.message()
    assert result.failed == []
    assert result.suite_names == (RAW_SUITE, EVENTS_SUITE)
    assert load_row(url, load_id) == {"status": "loaded", "gate_outcome": "pass", "error": None}

    index = tmp_path / "site" / "data_docs" / "index.html"
    assert result.data_docs_index == index and index.exists()
    for suite in result.suites:
        rows = audit_results(url, suite.validation_run_id)
        assert len(rows) == len(read_suite(suite.suite_name)["expectations"]) == suite.expectations
        assert all(r["success"] and r["load_id"] == load_id and r["run_id"] == RUN_ID for r in rows)
        run = audit_run(url, suite.validation_run_id)
        assert (run["outcome"], run["gate"], run["load_id"], run["suite_name"], run["critical_failures"]) == (
            "pass", "raw", load_id, suite.suite_name, 0)
        assert suite.data_docs_path.exists() and suite.data_docs_path in index_links(index)
        assert run["data_docs_path"] == str(suite.data_docs_path)


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
    dossiers_suite = result.suite(RAW_SUITE)
    run = audit_run(url, dossiers_suite.validation_run_id)
    assert (run["outcome"], run["critical_failures"]) == ("fail", 2)
    assert run["message"] == result.only(dossiers_suite).message() and "BAD-TIME-1" in run["message"]
    # The load had no events: that suite passed on its own, the load is quarantined all the same.
    events_run = audit_run(url, result.suite(EVENTS_SUITE).validation_run_id)
    assert (events_run["outcome"], events_run["suite_name"], events_run["load_id"]) == ("pass", EVENTS_SUITE, load_id)

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


@warehouse
def test_bad_events_quarantine_the_load_even_when_its_dossiers_pass(fresh_database, tmp_path):
    url = fresh_database
    load_id = insert_load(
        url,
        [dossier("E-1"), dossier("E-2")],
        events=[
            supplement("E-1", 1, 1),
            # Answered before it was asked for: a negative pause.
            supplement("E-1", 1, 2, requested_at="2025-03-05 11:00:00", supplement_received_at="2025-03-05 09:00:00"),
            supplement("E-2", 2, 0),
            supplement("E-GHOST", 3, 1),  # no such dossier in this load
            supplement("E-2", 2, 1, previous_due_at="2025-03-10 17:00:00", new_due_at="2025-03-07 17:00:00"),
            {"dossier_code": "E-2", "_row_number": 2, "event_kind": "processing_step", "event_seq": 1,
             "occurred_at": "04/03/2025 10:00"},
        ],
    )

    result = run_raw_gate(url, load_id, RUN_ID, **gate_dirs(tmp_path))

    assert result.outcome == "fail"
    assert result.suite(RAW_SUITE).outcome == "pass"
    events = result.suite(EVENTS_SUITE)
    assert events.outcome == "fail"
    failed = {(o.expectation_name, o.column): (o.severity, set(o.sample_keys)) for o in events.failed}
    assert failed == {
        ("supplement_received_not_before_requested", "supplement_received_at"): ("critical", {"E-1"}),
        ("expect_column_values_to_be_between", "event_seq"): ("critical", {"E-2"}),
        ("event_dossier_delivered_in_same_load", "dossier_code"): ("critical", {"E-GHOST"}),
        ("expect_column_values_to_match_like_pattern_list", "occurred_at"): ("critical", {"E-2"}),
        ("new_due_not_before_previous_due", "new_due_at"): ("warning", {"E-2"}),
    }
    message = result.message()
    assert f"suites {RAW_SUITE}, {EVENTS_SUITE}" in message
    assert f"- {EVENTS_SUITE}: [critical] supplement_received_not_before_requested" in message
    assert load_row(url, load_id) == {"status": "quarantined", "gate_outcome": "fail", "error": message}
    assert audit_run(url, result.suite(RAW_SUITE).validation_run_id)["outcome"] == "pass"
    events_run = audit_run(url, events.validation_run_id)
    assert (events_run["outcome"], events_run["critical_failures"], events_run["warnings"]) == ("fail", 4, 1)
    recorded = {r["expectation_name"]: r for r in audit_results(url, events.validation_run_id) if not r["success"]}
    assert recorded["event_dossier_delivered_in_same_load"]["sample_keys"] == ["E-GHOST"]
    assert recorded["event_dossier_delivered_in_same_load"]["load_id"] == load_id


INDEX_ROW = {"index_code": "PAPI", "edition_year": "2016", "period": "2016", "unit_name": "Hà Nội",
             "gso_code": "01", "component": "total", "value": "37.43", "rank_published": "12"}


def index_row(**changes) -> dict:
    return {**INDEX_ROW, **changes}


@warehouse
def test_index_publication_loads_are_gated_on_the_index_suite(fresh_database, tmp_path):
    url = fresh_database
    good = insert_load(
        url,
        [index_row(), index_row(component="participation", value="5.1", rank_published=None),
         index_row(index_code="DVC766", edition_year="2025", period="2025-Q3", unit_name="UBND tỉnh Bắc Ninh",
                   gso_code=None, value="81.5")],
        source_kind="index_publication", table="index_scores",
    )
    bad = insert_load(
        url,
        [index_row(),
         index_row(unit_name="Hải Phòng", gso_code="31", index_code="PAPII"),
         index_row(unit_name="Đà Nẵng", gso_code="48", edition_year="16"),
         index_row(unit_name="Huế", gso_code="46", value="7,5"),
         index_row(unit_name="Cần Thơ", gso_code="92", rank_published="n/a"),
         index_row(component="participation", value="5.1"),
         index_row(component="participation", value="5.3")],
        source_kind="index_publication", table="index_scores",
    )

    passed = run_raw_gate(url, good, RUN_ID, **gate_dirs(tmp_path))
    failed = run_raw_gate(url, bad, RUN_ID, **gate_dirs(tmp_path))

    assert (passed.outcome, passed.suite_names) == ("pass", (INDEX_SUITE,)), passed.message()
    assert failed.suite_names == (INDEX_SUITE,) and failed.outcome == "fail"
    assert {(o.expectation_name, o.column): (o.severity, o.sample_keys) for o in failed.failed} == {
        ("expect_column_values_to_be_in_set", "index_code"): ("critical", ("2",)),
        ("expect_column_values_to_match_regex", "edition_year"): ("critical", ("3",)),
        ("expect_column_values_to_match_regex", "value"): ("critical", ("4",)),
        ("expect_column_values_to_match_regex", "rank_published"): ("warning", ("5",)),
        ("one_value_per_unit_and_component", "unit_name"): ("critical", ("6",)),
    }
    assert "offending _row_number: 2" in failed.message()
    assert load_row(url, bad)["status"] == "quarantined" and load_row(url, good)["gate_outcome"] == "pass"


# ---- mart gate ------------------------------------------------------------------------------
# marts.fct_dossiers and marts.dim_date made by hand (no dbt here): the columns the mart suite
# reads, and a Monday-Friday calendar, enough to judge the rules the suite checks.
FCT_DOSSIERS_DDL = """
create table marts.fct_dossiers (
    dossier_id text, gso_code text, list_version text, gso_code_2025 text, procedure_code text,
    agency_code text, received_at timestamptz, due_at timestamptz, finished_at timestamptz,
    returned_at timestamptz, clock_start_date date, as_of_date date, working_days_used integer,
    paused_working_days integer, supplement_count integer, statutory_limit_working_days numeric,
    outcome text, is_finished boolean, is_overdue_at_as_of boolean, status_code integer,
    channel integer default 1, is_paid_online boolean default false
)
"""
DIM_DATE_DDL = """
create table marts.dim_date as
select date_day::date, extract(isodow from date_day) <= 5 as is_working_day, false as is_public_holiday,
       sum(case when extract(isodow from date_day) <= 5 then 1 else 0 end) over (order by date_day)::integer
           as working_day_number
from generate_series('2025-01-01'::date, '2025-12-31'::date, interval '1 day') as date_day
"""
AS_OF = date(2025, 3, 31)


def working_days_after(start: date, stop: date) -> int:
    """Monday-Friday days in (start, stop]: what the test calendar counts, computed independently."""
    return sum((start + timedelta(days=n)).isoweekday() <= 5 for n in range(1, (stop - start).days + 1))


def fact(dossier_id: str, status_code: int, received: str | None, outcome: str | None, *, due: str | None = None,
         finished: str | None = None, supplements: int = 0, limit: float | None = 5, **overrides) -> dict:
    """A fct_dossiers row judged as the rules say; times are Vietnam local 'YYYY-MM-DD HH:MM'."""
    is_finished, is_open = status_code in (9, 10), status_code in (2, 4, 5, 6)
    received_day = date.fromisoformat(received[:10]) if received else None
    stop = date.fromisoformat(finished[:10]) if finished else (AS_OF if is_open else None)
    judged = (is_finished or is_open) and received_day is not None and stop is not None
    row = {
        "dossier_id": dossier_id, "gso_code": "01", "list_version": "2004", "gso_code_2025": "01",
        "received_at": f"{received}+07" if received else None, "due_at": f"{due}+07" if due else None,
        "finished_at": f"{finished}+07" if finished else None, "clock_start_date": received_day,
        "as_of_date": AS_OF, "working_days_used": working_days_after(received_day, stop) if judged else None,
        "paused_working_days": 0, "supplement_count": supplements, "statutory_limit_working_days": limit,
        "outcome": outcome, "is_finished": is_finished, "status_code": status_code,
        "is_overdue_at_as_of": outcome == "overdue" if is_open else False,
    }
    return {**row, **overrides}


def create_fct_dossiers(url: str, rows: list[dict]) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(FCT_DOSSIERS_DDL)
        conn.execute(DIM_DATE_DDL)
        for row in rows:
            conn.execute(
                f"insert into marts.fct_dossiers ({', '.join(row)}) values ({', '.join(['%s'] * len(row))})",
                tuple(row.values()),
            )


GOOD_FACTS = [
    fact("D-EARLY", 10, "2025-03-04 08:30", "early", due="2025-03-10 17:00", finished="2025-03-05 10:00"),
    fact("D-ON-DUE-DAY", 9, "2025-03-04 08:30", "on_time", due="2025-03-06 17:00", finished="2025-03-06 15:00"),
    fact("D-BY-LIMIT", 9, "2025-03-03 09:00", "on_time", finished="2025-03-06 11:00"),
    fact("D-TWO-SUPPLEMENTS", 10, "2025-03-04 08:30", "late", due="2025-03-20 17:00", finished="2025-03-06 10:00",
         supplements=2),
    fact("D-IN-PROGRESS", 4, "2025-03-04 08:30", "in_progress", due="2025-04-10 17:00"),
    fact("D-OVERDUE", 5, "2025-03-04 08:30", "overdue", due="2025-03-14 17:00", supplements=1),
    fact("D-WITHDRAWN", 7, "2025-07-04 08:30", None, list_version="2025", gso_code="79", gso_code_2025="79"),
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
def test_mart_gate_fails_naming_the_check_and_the_dossiers(fresh_database, tmp_path):
    url = fresh_database
    create_fct_dossiers(
        url,
        [
            *GOOD_FACTS,
            fact("D-NEG", 9, "2025-03-04 08:30", "early", due="2025-03-10 17:00", finished="2025-03-06 10:00",
                 working_days_used=-2),
            fact("D-NOMAP", 4, "2025-03-04 08:30", "in_progress", due="2025-04-10 17:00", gso_code="15",
                 gso_code_2025=None),
            # Finished two days after its due date, yet called early.
            fact("D-WRONG-EARLY", 10, "2025-03-03 08:30", "early", due="2025-03-05 17:00", finished="2025-03-07 09:00"),
            # Still open past its due date at the as-of date, yet called in progress.
            fact("D-STALE", 4, "2025-03-03 08:30", "in_progress", due="2025-03-14 17:00"),
            fact("D-DUE-FIRST", 4, "2025-03-04 08:30", "in_progress", due="2025-03-04 08:00"),
        ],
    )
    unbalanced = insert_load(url, [dossier("M-1")], rows_read_recorded=False)

    result = run_mart_gate(url, RUN_ID, **gate_dirs(tmp_path))

    assert result.outcome == "fail"
    failed = {o.expectation_name: o for o in result.failed}
    assert {name: set(o.sample_keys) for name, o in failed.items()} == {
        "expect_column_values_to_be_between": {"D-NEG"},
        "working_days_used_matches_calendar": {"D-NEG"},
        "finished_outcome_matches_due_date": {"D-WRONG-EARLY"},
        "open_outcome_matches_due_date": {"D-STALE", "D-DUE-FIRST"},
        "due_not_before_received": {"D-DUE-FIRST"},
        "gso_code_2025_mapped": {"D-NOMAP"},
        "loads_rows_balance": {str(unbalanced)},
    }
    assert failed["gso_code_2025_mapped"].severity == "warning"
    assert all(o.severity == "critical" for name, o in failed.items() if name != "gso_code_2025_mapped")
    with pytest.raises(GateFailed) as failure:
        result.raise_for_failure()
    for words in ("working_days_used", "D-NEG", "finished_outcome_matches_due_date", "D-WRONG-EARLY", "D-STALE"):
        assert words in str(failure.value)
    recorded = audit_results(url, result.validation_run_id)
    assert {r["expectation_name"] for r in recorded if not r["success"]} == set(failed)
    assert json.dumps(failed["expect_column_values_to_be_between"].details["result"]["partial_unexpected_list"]) \
        == "[-2]"


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
    # Finished, no due date, procedure not in the catalogue: no outcome can be given.
    create_fct_dossiers(url, [*GOOD_FACTS, fact("D-UNKNOWN-LIMIT", 10, "2025-03-04 08:30", None,
                                                finished="2025-03-05 10:00", limit=None)])

    result = run_mart_gate(url, RUN_ID, **gate_dirs(tmp_path))

    assert result.outcome == "warn", result.message()
    (warning,) = result.failed
    assert (warning.expectation_name, warning.severity, warning.sample_keys) == (
        "unjudgeable_dossier", "warning", ("D-UNKNOWN-LIMIT",))
