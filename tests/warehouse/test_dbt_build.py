"""The dbt project built end to end (seed + build, with its data and unit tests) on a real
warehouse database: load visibility, latest delivery wins, outcomes, the calendar, the
fct_dossiers contract and the error raised for failing nodes.

One build per module (about half a minute); runs on the embedded server or WAREHOUSE_URL's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from ingest.reference import working_days
from ingest.runtime import dbt_runner, migrate, warehouse
from tests.conftest import create_database, drop_database, insert_row

pytestmark = pytest.mark.warehouse

AS_OF = date(2025, 7, 31)

# Loads in delivery order. "quarantined" failed its raw gate; "catalogue" is the procedure list.
LOADS = {
    "first": {"source_kind": "portal_export", "status": "loaded", "gate_outcome": "pass", "started_at": "2025-07-01"},
    "quarantined": {"source_kind": "portal_export", "status": "quarantined", "gate_outcome": "fail",
                    "started_at": "2025-07-15"},
    "correction": {"source_kind": "portal_export", "status": "loaded", "gate_outcome": "warn",
                   "started_at": "2025-07-30"},
    "catalogue": {"source_kind": "procedure_catalogue", "status": "loaded", "gate_outcome": "pass",
                  "started_at": "2025-06-01"},
}

LIMIT_5 = "1.000005"  # statutory limit: 5 working days

# (load, dossier fields as raw text). Times are Vietnam local time, as the loader writes them.
DOSSIERS = [
    # HS-A: open in the first delivery with two supplement requests; the correction says it
    # was returned early with none, and its events replace the first delivery's.
    ("first", {"dossier_code": "HS-A", "gso_code": "24", "status_code": "4", "channel": "2",
               "received_at": "2025-07-01 09:00:00", "due_at": "2025-07-08 17:00:00", "supplement_count": "2"}),
    ("correction", {"dossier_code": "HS-A", "gso_code": "24", "status_code": "10", "channel": "2",
                    "received_at": "2025-07-01 09:00:00", "due_at": "2025-07-08 17:00:00",
                    "finished_at": "2025-07-07 10:00:00", "returned_at": "2025-07-07 15:00:00",
                    "supplement_count": "0", "paid_online": "2", "fee_amount": "50000"}),
    # HS-B: finished on its due date under the 63-province list (27 Bắc Ninh -> 24 on the 2025 list);
    # the quarantined load's "refused" version must not win.
    ("first", {"dossier_code": "HS-B", "gso_code": "27", "status_code": "9", "channel": "",
               "received_at": "2025-06-23 09:00:00", "due_at": "2025-06-30 17:00:00",
               "finished_at": "2025-06-30 15:00:00", "paid_online": "0"}),
    ("quarantined", {"dossier_code": "HS-B", "gso_code": "27", "status_code": "3", "channel": "1",
                     "received_at": "2025-06-23 09:00:00", "refused_at": "2025-06-24 09:00:00"}),
    # HS-C: still open after its due date.
    ("first", {"dossier_code": "HS-C", "gso_code": "24", "status_code": "2", "channel": "1",
               "received_at": "2025-07-21 09:00:00", "due_at": "2025-07-29 17:00:00"}),
    # HS-D: withdrawn, not judged.
    ("first", {"dossier_code": "HS-D", "gso_code": "24", "status_code": "7", "channel": "1",
               "received_at": "2025-07-02 09:00:00", "due_at": "2025-07-09 17:00:00"}),
    # HS-G: open, waiting for a supplement requested on 07-28; no due date, limit 5 working days.
    ("first", {"dossier_code": "HS-G", "gso_code": "24", "status_code": "5", "channel": "3",
               "procedure_code": LIMIT_5, "received_at": "2025-07-22 09:00:00"}),
    # HS-Q: only ever delivered in the quarantined load.
    ("quarantined", {"dossier_code": "HS-Q", "gso_code": "24", "status_code": "9", "channel": "1",
                     "received_at": "2025-07-01 09:00:00", "finished_at": "2025-07-02 09:00:00"}),
    # HS-E: finished without a due date; the statutory limit decides.
    ("correction", {"dossier_code": "HS-E", "gso_code": "24", "status_code": "9", "channel": "1",
                    "procedure_code": LIMIT_5, "received_at": "2025-07-14 09:00:00",
                    "finished_at": "2025-07-22 10:00:00"}),
    # HS-F: received on a Friday evening after office hours, open and within its due date.
    ("correction", {"dossier_code": "HS-F", "gso_code": "24", "status_code": "4", "channel": "2",
                    "received_at": "2025-07-25 18:30:00", "due_at": "2025-08-05 17:00:00"}),
]

SUPPLEMENTS = [
    ("first", "HS-A", 1, "2025-07-02 09:00:00", "2025-07-03 09:00:00"),
    ("first", "HS-A", 2, "2025-07-03 10:00:00", "2025-07-04 10:00:00"),
    ("first", "HS-G", 1, "2025-07-28 10:00:00", None),
]


def _write_raw_rows(conn: psycopg.Connection) -> None:
    load_ids = {}
    for key, load in LOADS.items():
        rows = sum(1 for load_key, _ in DOSSIERS if load_key == key) or 1
        load_ids[key] = conn.execute(
            "insert into audit.loads (source_kind, file_name, file_sha256, rows_read, rows_loaded, rows_rejected,"
            " status, gate_outcome, started_at, finished_at)"
            " values (%s, %s, %s, %s, %s, 0, %s, %s, %s::timestamptz, %s::timestamptz + interval '1 minute')"
            " returning load_id",
            (load["source_kind"], f"{key}.csv", f"sha-{key}", rows, rows, load["status"], load["gate_outcome"],
             f"{load['started_at']} 02:00:00+07", f"{load['started_at']} 02:00:00+07"),
        ).fetchone()[0]
    row_numbers: dict[str, int] = {}
    dossier_rows: dict[tuple[str, str], int] = {}
    for load_key, fields in DOSSIERS:
        row_numbers[load_key] = row_numbers.get(load_key, 0) + 1
        dossier_rows[(load_key, fields["dossier_code"])] = row_numbers[load_key]
        insert_row(conn, "raw.portal_dossiers",
                {"_load_id": load_ids[load_key], "_row_number": row_numbers[load_key], **fields})
    for load_key, code, seq, requested, received in SUPPLEMENTS:
        insert_row(conn, "raw.portal_dossier_events", {
            "_load_id": load_ids[load_key], "_row_number": dossier_rows[(load_key, code)], "event_kind": "supplement",
            "event_seq": seq, "dossier_code": code, "requested_at": requested, "supplement_received_at": received,
        })
    insert_row(conn, "raw.procedure_catalogue", {
        "_load_id": load_ids["catalogue"], "_row_number": 1, "procedure_code": LIMIT_5,
        "procedure_name": "Thủ tục thử", "statutory_limit_value": "5", "statutory_limit_unit": "working_days",
    })


@pytest.fixture(scope="module")
def built_url(admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    name = create_database(admin_url, prefix="parwh_test_dbt")
    url = warehouse.with_database(admin_url, name)
    try:
        with psycopg.connect(url) as conn:
            migrate.migrate(conn)
            _write_raw_rows(conn)
        dbt_runner.build(url, vars={"as_of_date": AS_OF.isoformat()}, target_path=tmp_path_factory.mktemp("dbt_target"))
        yield url
    finally:
        drop_database(admin_url, name)


def _rows(url: str, query: str, params: tuple = ()) -> list[dict[str, Any]]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(query, params).fetchall()


@pytest.fixture(scope="module")
def facts(built_url: str) -> dict[str, dict[str, Any]]:
    return {row["dossier_id"]: row for row in _rows(built_url, "select * from marts.fct_dossiers")}


def _working_days(received: str, finished: date) -> int:
    """Working days used by an unpaused dossier, counted with ingest.reference.working_days (independent of dbt)."""
    start = working_days.start_of_clock(datetime.fromisoformat(received))
    return max(working_days.working_days_between(start, finished), 0)


def test_quarantined_loads_never_reach_staging_or_marts(built_url, facts):
    assert "HS-Q" not in facts
    staged = {row["dossier_id"] for row in _rows(built_url, "select dossier_id from staging.stg_portal__dossiers")}
    assert staged == {"HS-A", "HS-B", "HS-C", "HS-D", "HS-E", "HS-F", "HS-G"}
    # The quarantined re-delivery of HS-B (refused) is later than the first one but invisible.
    assert facts["HS-B"]["status_code"] == 9
    assert facts["HS-B"]["refused_at"] is None


def test_latest_delivery_wins_and_brings_its_own_events(built_url, facts):
    correction_load = _rows(built_url, "select load_id from audit.loads where file_name = 'correction.csv'")[0]
    a = facts["HS-A"]
    assert a["load_id"] == correction_load["load_id"]
    assert a["status_code"] == 10
    assert a["fee_amount"] == 50000
    assert a["is_paid_online"] is True
    # The superseded delivery's two supplement requests are gone with it.
    events = _rows(built_url, "select dossier_id from staging.stg_portal__dossier_events")
    assert [e["dossier_id"] for e in events] == ["HS-G"]
    assert a["supplement_count"] == 0
    assert a["paused_working_days"] == 0


def test_outcomes_follow_the_domain_rules(facts):
    assert {code: row["outcome"] for code, row in facts.items()} == {
        "HS-A": "early",        # finished 07-07, due 07-08
        "HS-B": "on_time",      # finished on the due date
        "HS-C": "overdue",      # open, due 07-29, judged 07-31
        "HS-D": None,           # withdrawn: not judged
        "HS-E": "late",         # no due date: 6 working days > limit 5
        "HS-F": "in_progress",  # open, due 08-05
        "HS-G": "in_progress",  # open, paused while waiting for the applicant
    }
    assert facts["HS-C"]["is_overdue_at_as_of"] is True
    assert facts["HS-F"]["is_overdue_at_as_of"] is False
    assert facts["HS-A"]["is_overdue_at_as_of"] is False
    assert all(row["as_of_date"] == AS_OF for row in facts.values())


def test_working_days_agree_with_the_python_calendar(facts):
    assert facts["HS-A"]["working_days_used"] == _working_days("2025-07-01 09:00:00", date(2025, 7, 7))
    assert facts["HS-B"]["working_days_used"] == _working_days("2025-06-23 09:00:00", date(2025, 6, 30))
    assert facts["HS-C"]["working_days_used"] == _working_days("2025-07-21 09:00:00", AS_OF)
    assert facts["HS-E"]["working_days_used"] == _working_days("2025-07-14 09:00:00", date(2025, 7, 22)) == 6
    # Received Friday 18:30: the clock starts on Monday.
    assert facts["HS-F"]["clock_start_date"] == date(2025, 7, 28)
    assert facts["HS-F"]["working_days_used"] == _working_days("2025-07-25 18:30:00", AS_OF)
    # Waiting for a supplement since 07-28 pauses HS-G up to the as-of date.
    paused = working_days.working_days_between(date(2025, 7, 28), AS_OF)
    assert facts["HS-G"]["paused_working_days"] == paused > 0
    assert facts["HS-G"]["working_days_used"] == _working_days("2025-07-22 09:00:00", AS_OF) - paused
    assert facts["HS-G"]["supplement_count"] == 1
    assert facts["HS-D"]["working_days_used"] is None


def test_province_codes_are_versioned_at_2025_07_01(facts):
    assert (facts["HS-B"]["gso_code"], facts["HS-B"]["list_version"], facts["HS-B"]["gso_code_2025"]) == (
        "27", "2004", "24")
    assert (facts["HS-A"]["list_version"], facts["HS-A"]["gso_code_2025"]) == ("2025", "24")
    assert facts["HS-B"]["channel"] == 1  # delivered empty: in person


def test_dim_date_is_the_working_day_calendar(built_url):
    days = {row["date_day"]: row for row in _rows(built_url, "select * from marts.dim_date order by date_day")}
    assert min(days) == date(2015, 1, 1) and max(days) == date(2030, 12, 31)
    assert len(days) == (date(2030, 12, 31) - date(2015, 1, 1)).days + 1
    assert days[date(2025, 1, 29)]["is_working_day"] is False
    assert days[date(2025, 1, 29)]["holiday_name"]
    assert days[date(2024, 5, 4)]["is_working_day"] is True
    assert days[date(2024, 5, 4)]["is_makeup_working_day"] is True
    assert days[date(2024, 5, 4)]["day_of_week"] == 6
    # Every day agrees with ingest.reference.working_days, the Python statement of the same rule.
    mismatches = [
        day for day, row in days.items()
        if (row["is_working_day"], row["working_day_number"])
        != (working_days.is_working_day(day), working_days.working_day_number(day))
    ]
    assert mismatches == []


CONTRACT_COLUMNS = {
    "dossier_id": "text", "gso_code": "text", "list_version": "text", "gso_code_2025": "text",
    "procedure_code": "text", "agency_code": "text", "received_at": "timestamp with time zone",
    "due_at": "timestamp with time zone", "finished_at": "timestamp with time zone",
    "working_days_used": "integer", "outcome": "text", "channel": "integer", "is_paid_online": "boolean",
    "as_of_date": "date",
}


def test_fct_dossiers_has_the_contract_columns_key_and_grants(built_url):
    columns = {
        row["column_name"]: row["data_type"]
        for row in _rows(built_url, "select column_name, data_type from information_schema.columns"
                                    " where table_schema = 'marts' and table_name = 'fct_dossiers'")
    }
    assert {name: columns.get(name) for name in CONTRACT_COLUMNS} == CONTRACT_COLUMNS
    # fct_dossiers is a view (it adds the as-of date); the table under it holds the key
    kind = _rows(built_url, "select relkind from pg_class where oid = 'marts.fct_dossiers'::regclass")
    assert kind[0]["relkind"] == "v"
    key = _rows(built_url, "select a.attname from pg_index i join pg_attribute a"
                           " on a.attrelid = i.indrelid and a.attnum = any(i.indkey)"
                           " where i.indrelid = 'marts.fct_dossiers_base'::regclass and i.indisprimary")
    assert [row["attname"] for row in key] == ["dossier_id"]
    dependency = _rows(built_url, "select distinct r.ev_class::regclass::text as view from pg_depend d"
                                  " join pg_rewrite r on r.oid = d.objid"
                                  " where d.refobjid = 'marts.fct_dossiers_base'::regclass")
    assert [row["view"] for row in dependency] == ["marts.fct_dossiers"]
    granted = _rows(built_url, "select has_table_privilege('bi_reader', 'marts.fct_dossiers', 'select') as ok")
    assert granted[0]["ok"] is True
    schemas = {row["nspname"] for row in _rows(built_url, "select nspname from pg_namespace")}
    assert {"staging", "intermediate", "marts", "reference"} <= schemas


def test_failing_data_test_raises_dbt_build_error_naming_the_node(fresh_database, tmp_path):
    with psycopg.connect(fresh_database) as conn:
        load_id = conn.execute(
            "insert into audit.loads (source_kind, file_name, file_sha256, rows_read, rows_loaded, rows_rejected,"
            " status, gate_outcome, finished_at) values ('portal_export', 'bad.csv', 'sha-bad', 1, 1, 0,"
            " 'loaded', 'pass', now()) returning load_id"
        ).fetchone()[0]
        insert_row(conn, "raw.portal_dossiers", {"_load_id": load_id, "_row_number": 1, "dossier_code": "HS-X",
                                              "status_code": "2", "channel": "7",
                                              "received_at": "2025-07-01 09:00:00"})
    with pytest.raises(dbt_runner.DbtBuildError) as raised:
        dbt_runner.run_dbt(["build", "--select", "stg_portal__dossiers", "portal_status_codes",
                     "--exclude-resource-type", "unit_test"], fresh_database, target_path=tmp_path)
    failing = [node for node, _ in raised.value.failures]
    assert any("accepted_values_stg_portal__dossiers_channel" in node for node in failing), failing
    assert "accepted_values_stg_portal__dossiers_channel" in str(raised.value)
