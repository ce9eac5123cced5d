"""The incremental marts (fct_dossiers, fct_procedure_cycle_times, fct_service_index) after three
nightly runs over several loads equal one full refresh of the same data at the same as-of date,
and each run recomputed only what changed.

Two databases get the same raw rows and audit.loads: one is built night by night (a full first
build, then incremental `dbt run`s as the as-of date moves and loads arrive: a quarantined
re-delivery, corrections that finish a dossier and move another across 2025-07-01, a catalogue
that changes a statutory limit, a load that becomes invisible after it was built); the other is
built once with --full-refresh at the end. About a minute and a half."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from ingest.runtime import dbt_runner, migrate, warehouse
from tests.conftest import create_database, drop_database, insert_row

pytestmark = pytest.mark.warehouse

# dim_agency and dim_procedure are full tables, but built from the incremental fct_dossiers_base
MARTS = ("fct_dossiers", "fct_procedure_cycle_times", "fct_service_index", "fct_service_index_reconciliation",
         "dim_agency", "dim_procedure")
P5 = "1.000005"   # statutory limit 5 working days
PCAT = "1.000030"  # 3 working days, then re-catalogued as 10
P_AG4 = "1.000040"  # not in the catalogue

# name -> (source kind, started at, status, gate outcome); delivered night by night below.
LOADS = {
    "catalogue": ("procedure_catalogue", "2025-06-01", "loaded", "pass"),
    "june": ("portal_export", "2025-06-29", "loaded", "pass"),
    "quarantined": ("portal_export", "2025-07-14", "quarantined", "fail"),
    "july": ("portal_export", "2025-07-15", "loaded", "pass"),
    "later_hidden": ("portal_export", "2025-07-15", "loaded", "warn"),
    "catalogue_2": ("procedure_catalogue", "2025-08-04", "loaded", "pass"),
    "august": ("portal_export", "2025-08-05", "loaded", "pass"),
}


def _dossier(code: str, gso: str, status: int, received: str | None, **fields: str) -> dict[str, str]:
    row = {"dossier_code": code, "gso_code": gso, "status_code": str(status), "channel": "1",
           "procedure_code": P5, "agency_code": "AG1"}
    if received:
        row["received_at"] = received
    return {**row, **fields}


DOSSIERS: dict[str, list[dict[str, str]]] = {
    "june": [
        _dossier("D-EARLY", "27", 10, "2025-06-02 09:00:00", due_at="2025-06-09 17:00:00",
                 finished_at="2025-06-05 10:00:00", returned_at="2025-06-05 15:00:00", channel="2",
                 fee_amount="50000", paid_online="1", has_digitised_components="1", has_electronic_result="1"),
        _dossier("D-TWO-SUPPLEMENTS", "27", 9, "2025-06-02 09:00:00", due_at="2025-06-20 17:00:00",
                 finished_at="2025-06-10 10:00:00", fee_amount="20000", paid_online="0"),
        _dossier("D-OPEN", "27", 4, "2025-06-20 09:00:00", due_at="2025-07-08 17:00:00"),
        _dossier("D-OVERDUE", "27", 2, "2025-05-20 09:00:00", due_at="2025-06-10 17:00:00", agency_code="AG2",
                 procedure_code=""),
        _dossier("D-NO-DUE", "27", 9, "2025-06-16 09:00:00", finished_at="2025-06-23 10:00:00",
                 agency_code="AG2", procedure_code=PCAT),
        _dossier("D-AFTER-HOURS", "27", 4, "2025-06-27 18:30:00", due_at="2025-07-04 17:00:00"),
        _dossier("D-WITHDRAWN", "27", 7, "2025-06-03 09:00:00", due_at="2025-06-10 17:00:00"),
        _dossier("D-REFUSED", "27", 3, "2025-06-03 09:00:00", refused_at="2025-06-04 09:00:00"),
        _dossier("D-TET", "27", 10, "2025-01-24 09:00:00", due_at="2025-02-05 17:00:00",
                 finished_at="2025-02-05 10:00:00"),
        _dossier("D-MAKEUP-SATURDAY", "27", 9, "2024-05-04 09:00:00", due_at="2024-05-07 17:00:00",
                 finished_at="2024-05-06 10:00:00"),
        _dossier("D-MOVED", "27", 9, "2025-06-30 16:00:00", due_at="2025-07-03 17:00:00",
                 finished_at="2025-07-02 10:00:00"),
        _dossier("D-HIDDEN", "27", 9, "2025-06-10 09:00:00", due_at="2025-06-17 17:00:00",
                 finished_at="2025-06-12 10:00:00"),
        _dossier("D-NOT-RECEIVED", "27", 1, None, submitted_at="2025-06-28 10:00:00"),
        # AG4 gets a second, later dossier on the third night, when this load is outside the
        # look-back window: its dim rows combine the previous state with the new dossier
        _dossier("D-AG4-OLD", "01", 9, "2025-06-25 10:00:00", finished_at="2025-06-26 10:00:00",
                 agency_code="AG4", agency_name="UBND xã Cũ", procedure_code=P_AG4, procedure_name="Thủ tục cũ"),
    ],
    "quarantined": [
        _dossier("D-EARLY", "27", 3, "2025-06-02 09:00:00", refused_at="2025-06-03 09:00:00"),
    ],
    "july": [
        _dossier("D-OPEN", "27", 9, "2025-06-20 09:00:00", due_at="2025-07-08 17:00:00",
                 finished_at="2025-07-10 10:00:00", has_electronic_result="1"),
        # corrected receipt: 1 July, on the 2025 list (Bắc Ninh 27 -> 24); the code delivered with
        # spaces is the same dossier (the incremental build looks deliveries up by trimmed code)
        _dossier(" D-MOVED ", "24", 9, "2025-07-01 08:00:00", due_at="2025-07-03 17:00:00",
                 finished_at="2025-07-02 10:00:00"),
        _dossier("D-JULY", "24", 5, "2025-07-07 09:00:00", agency_code="AG3", channel="2"),
    ],
    "later_hidden": [
        _dossier("D-HIDDEN", "27", 9, "2025-06-10 09:00:00", due_at="2025-06-17 17:00:00",
                 finished_at="2025-06-20 10:00:00"),
        _dossier("D-GONE", "24", 4, "2025-07-02 09:00:00", due_at="2025-07-20 17:00:00", agency_code="AG3"),
    ],
    "august": [
        _dossier("D-AUGUST", "24", 10, "2025-08-01 09:00:00", due_at="2025-08-08 17:00:00",
                 finished_at="2025-08-04 10:00:00", agency_code="AG3", channel="2"),
        _dossier("D-AG4-NEW", "01", 9, "2025-08-02 10:00:00", finished_at="2025-08-04 10:00:00",
                 agency_code="AG4", agency_name="UBND phường Mới", procedure_code=P_AG4, procedure_name="Thủ tục mới"),
    ],
}

SUPPLEMENTS = {  # load -> (dossier, seq, requested, received)
    "june": [("D-TWO-SUPPLEMENTS", 1, "2025-06-03 09:00:00", "2025-06-04 09:00:00"),
             ("D-TWO-SUPPLEMENTS", 2, "2025-06-05 09:00:00", "2025-06-06 09:00:00")],
    "july": [("D-JULY", 1, "2025-07-09 10:00:00", None)],
}

CATALOGUE = {"catalogue": [(P5, "5"), (PCAT, "3")], "catalogue_2": [(PCAT, "10")]}

# Night -> (as-of date, loads delivered that day)
NIGHTS = [
    ("2025-06-30", ["catalogue", "june"]),
    ("2025-07-15", ["quarantined", "july", "later_hidden"]),
    ("2025-08-05", ["catalogue_2", "august"]),
]


def _deliver(conn: psycopg.Connection, name: str) -> None:
    kind, started, status, gate = LOADS[name]
    rows = len(DOSSIERS.get(name, CATALOGUE.get(name, [])))
    load_id = conn.execute(
        "insert into audit.loads (source_kind, file_name, file_sha256, rows_read, rows_loaded, rows_rejected,"
        " status, gate_outcome, started_at, finished_at)"
        " values (%s, %s, %s, %s, %s, 0, %s, %s, %s::timestamptz, %s::timestamptz + interval '1 minute')"
        " returning load_id",
        (kind, f"{name}.csv", f"sha-{name}", rows, rows, status, gate, f"{started} 02:00:00+07",
         f"{started} 02:00:00+07"),
    ).fetchone()[0]
    row_of = {}
    for number, fields in enumerate(DOSSIERS.get(name, []), start=1):
        row_of[fields["dossier_code"]] = number
        insert_row(conn, "raw.portal_dossiers", {"_load_id": load_id, "_row_number": number, **fields})
    for code, seq, requested, received in SUPPLEMENTS.get(name, []):
        insert_row(conn, "raw.portal_dossier_events", {
            "_load_id": load_id, "_row_number": row_of[code], "event_kind": "supplement", "event_seq": seq,
            "dossier_code": code, "requested_at": requested, "supplement_received_at": received})
    for number, (code, limit) in enumerate(CATALOGUE.get(name, []), start=1):
        insert_row(conn, "raw.procedure_catalogue", {
            "_load_id": load_id, "_row_number": number, "procedure_code": code, "procedure_name": code,
            "statutory_limit_value": limit, "statutory_limit_unit": "working_days"})


def _hide_later_load(conn: psycopg.Connection) -> None:
    """The third night: a load built on the second night is quarantined after the fact."""
    conn.execute("update audit.loads set status = 'quarantined', gate_outcome = 'fail'"
                 " where file_name = 'later_hidden.csv'")


def _rows(url: str, query: str) -> list[dict[str, Any]]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(query).fetchall()


def _snapshot(url: str) -> dict[str, list[tuple]]:
    snapshot = {}
    for mart in MARTS:
        with psycopg.connect(url) as conn:
            rows = conn.execute(f"select * from marts.{mart}").fetchall()  # noqa: S608 - fixed names
        snapshot[mart] = sorted(rows, key=repr)
    return snapshot


@pytest.fixture(scope="module")
def nights(admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    incremental_name = create_database(admin_url, prefix="parwh_test_incr")
    full_name = create_database(admin_url, prefix="parwh_test_full")
    incremental = warehouse.with_database(admin_url, incremental_name)
    full = warehouse.with_database(admin_url, full_name)
    target = tmp_path_factory.mktemp("dbt_target")
    try:
        changed_per_night, months_per_night = [], []
        for url in (incremental, full):
            with psycopg.connect(url) as conn:
                migrate.migrate(conn)
        for night, (as_of, loads) in enumerate(NIGHTS):
            for url in (incremental, full):
                with psycopg.connect(url) as conn:
                    for name in loads:
                        _deliver(conn, name)
                    if night == 2:
                        _hide_later_load(conn)
            as_of_vars = {"as_of_date": as_of}
            if night == 0:  # the first night builds and tests everything
                dbt_runner.build(incremental, vars=as_of_vars, target_path=target)
            else:
                dbt_runner.run_dbt(["run"], incremental, vars=as_of_vars, target_path=target)
            changed_per_night.append({row["dossier_id"]: row["change_reason"] for row in _rows(
                incremental, "select * from intermediate.int_dossiers_changed")})
            months_per_night.append({row["month_start"].isoformat()[:7] for row in _rows(
                incremental, "select month_start from intermediate.int_months_to_rebuild")})
        incremental_marts = _snapshot(incremental)
        dbt_runner.build(full, full_refresh=True, vars={"as_of_date": NIGHTS[-1][0]}, target_path=target)
        yield {"incremental": incremental, "full": full, "incremental_marts": incremental_marts,
               "full_marts": _snapshot(full), "changed": changed_per_night, "months": months_per_night}
    finally:
        drop_database(admin_url, incremental_name)
        drop_database(admin_url, full_name)


@pytest.mark.parametrize("mart", MARTS)
def test_incremental_nights_equal_one_full_refresh(nights, mart):
    incremental, full = nights["incremental_marts"][mart], nights["full_marts"][mart]
    if mart != "fct_service_index_reconciliation":  # empty without 766 publications
        assert incremental, f"{mart} is empty: the comparison would prove nothing"
    missing = [row for row in full if row not in incremental]
    extra = [row for row in incremental if row not in full]
    assert (missing, extra) == ([], []), f"{mart}: rows only in the full refresh / only in the incremental build"


def test_each_night_recomputes_only_what_changed(nights):
    first, second, third = nights["changed"]
    assert first == {}  # the first build is a full one
    # Second night: the look-back window (3 days before the latest load seen, the June load of
    # 06-29) still holds the June load, so every dossier delivered so far is recomputed.
    delivered = {row["dossier_code"].strip() for load in ("june", "quarantined", "july", "later_hidden")
                 for row in DOSSIERS[load]}
    assert second == dict.fromkeys(delivered, "delivery")
    # Third night: the new delivery, the re-catalogued procedure, the hidden load's dossiers, and
    # the loads still inside the look-back window (3 days before the latest load seen, 07-15).
    assert {"D-AUGUST", "D-NO-DUE", "D-HIDDEN", "D-GONE"} <= {k for k, v in third.items() if v == "delivery"}
    assert "D-TET" not in third and "D-MAKEUP-SATURDAY" not in third and "D-EARLY" in third  # quarantined 07-14
    # open dossiers delivered only in June: judged again at the new as-of date
    assert (third["D-OVERDUE"], third["D-AFTER-HOURS"]) == ("as_of", "as_of")
    assert "D-WITHDRAWN" not in third and "D-REFUSED" not in third
    assert nights["months"][0] >= {"2024-05", "2025-01", "2025-02", "2025-06"}
    # the months of the changed dossiers (D-HIDDEN and D-EARLY: June) and of the two as-of dates
    assert nights["months"][2] == {"2025-06", "2025-07", "2025-08"}


def test_hidden_load_falls_back_and_its_only_dossier_disappears(nights):
    facts = {row["dossier_id"]: row for row in _rows(nights["incremental"], "select * from marts.fct_dossiers")}
    assert "D-GONE" not in facts
    assert facts["D-HIDDEN"]["finished_at"].date().isoformat() == "2025-06-12"
    assert facts["D-EARLY"]["status_code"] == 10  # the quarantined refusal never wins
    assert facts["D-NO-DUE"]["statutory_limit_working_days"] == 10 and facts["D-NO-DUE"]["outcome"] == "on_time"
    assert (facts["D-MOVED"]["gso_code"], facts["D-MOVED"]["list_version"]) == ("24", "2025")
    assert {row["as_of_date"].isoformat() for row in facts.values()} == {"2025-08-05"}


def test_dims_take_the_latest_dossier_across_nights(nights):
    agency = _rows(nights["incremental"], "select * from marts.dim_agency where agency_id = 'AG4'")[0]
    assert (agency["agency_name"], agency["level"], agency["dossier_count"]) == ("UBND phường Mới", "commune", 2)
    assert agency["first_seen_at"].date().isoformat() == "2025-06-25"
    assert agency["province_key"] == "01-2025"
    procedure = _rows(nights["incremental"], f"select * from marts.dim_procedure where procedure_id = '{P_AG4}'")[0]
    assert (procedure["procedure_name"], procedure["dossier_count"], procedure["is_in_catalogue"]) == (
        "Thủ tục mới", 2, False)


def _cycle(url: str) -> dict[tuple, dict[str, Any]]:
    return {(row["procedure_code"], row["agency_code"], row["month_start"].isoformat()[:7]): row
            for row in _rows(url, "select * from marts.fct_procedure_cycle_times")}


def test_cycle_times_follow_the_report_columns(nights):
    cycle = _cycle(nights["incremental"])
    june = cycle[(P5, "AG1", "2025-06")]
    # received: early, two supplements, open, after hours, withdrawn, refused, hidden (D-MOVED moved to July)
    assert june["received_count"] == 7
    assert (june["finished_early_count"], june["finished_on_time_count"], june["finished_late_count"]) == (2, 0, 1)
    # D-OPEN (due 07-08) and D-AFTER-HOURS (due 07-04) are open at 30 June and within time
    assert (june["in_progress_within_time_count"], june["overdue_at_month_end_count"]) == (2, 0)
    assert june["on_time_rate"] == Decimal("0.666667")  # (2 early + 0 on time) / 3, numeric(7, 6)
    july = cycle[(P5, "AG1", "2025-07")]
    assert july["finished_late_count"] == 1            # D-OPEN finished 07-10, due 07-08
    assert july["finished_early_count"] == 1           # D-MOVED
    assert july["overdue_at_month_end_count"] == 1     # D-AFTER-HOURS, due 07-04, still open
    overdue = {month: (row["in_progress_within_time_count"], row["overdue_at_month_end_count"])
               for (procedure, agency, month), row in cycle.items() if agency == "AG2" and procedure is None}
    # D-OVERDUE (received 05-20, due 06-10, still open): within time at the end of May, overdue since
    assert overdue == {"2025-05": (1, 0), "2025-06": (0, 1), "2025-07": (0, 1), "2025-08": (0, 1)}
    # D-JULY has no due date, limit 5 working days, waiting for a supplement since 07-09: at the
    # as-of date the pause counts (in progress); at the end of July, while still open, it does not.
    assert cycle[(P5, "AG3", "2025-07")]["overdue_at_month_end_count"] == 1
    assert cycle[(P5, "AG3", "2025-08")]["in_progress_within_time_count"] == 1
    assert cycle[(P5, "AG1", "2025-01")]["received_count"] == 1           # Tết dossier
    assert cycle[(P5, "AG1", "2025-02")]["finished_on_time_count"] == 1
    assert cycle[(P5, "AG1", "2024-05")]["finished_early_count"] == 1     # received on a make-up Saturday


def test_service_index_on_both_province_universes(nights):
    index = {(row["unit_type"], row["list_version"], row["gso_code"] or row["agency_code"],
              row["month_start"].isoformat()[:7]): row
             for row in _rows(nights["incremental"], "select * from marts.fct_service_index")}
    old_june, new_june = index[("province", "2004", "27", "2025-06")], index[("province", "2025", "24", "2025-06")]
    # Bắc Ninh (27 on the 63-province list) sums into 24 on the 34-province list; nothing else does here
    for column in ("received_count", "handled_count", "progress_points", "online_service_points"):
        assert old_june[column] == new_june[column], column
    assert ("province", "2004", "24", "2025-07") not in index     # the 2004 list ends on 30 June
    assert index[("province", "2025", "24", "2025-07")]["received_count"] == 2   # D-MOVED, D-JULY (D-GONE hidden)
    assert old_june["received_with_fee_count"] == 2 and old_june["online_payment_share"] == Decimal("0.5")
    assert old_june["online_payment_points"] == 5
    for row in index.values():
        for rate in ("progress_rate", "online_dossier_share", "online_payment_share", "digitised_share",
                     "electronic_result_share"):
            assert row[rate] is None or 0 <= row[rate] <= 1
    assert index[("agency", None, "AG3", "2025-08")]["online_service_points"] == 12  # all online, >= 50 %


def test_mart_gate_checks_the_monthly_marts(nights, tmp_path):
    from expectations.gate import run_mart_gate

    dirs = {"site_dir": tmp_path / "site", "gx_root": tmp_path / "gx"}
    passed = run_mart_gate(nights["incremental"], "test-marts-pass", **dirs)
    assert passed.outcome != "fail", passed.message()
    assert [suite.suite_name for suite in passed.suites] == [
        "marts_fct_dossiers", "marts_fct_procedure_cycle_times", "marts_fct_service_index",
        "marts_fct_index_scores", "marts_fct_agency_index_scores", "marts_province_scorecard", "marts_dim_province",
        "marts_dim_date", "marts_dim_procedure", "marts_dim_agency", "marts_dim_index", "marts_bridge_province_2025",
        "marts_fct_service_index_reconciliation"]
    # A rate out of [0, 1] (the contract's check constraint dropped to let it in) fails the gate by name.
    with psycopg.connect(nights["full"]) as conn:
        conn.execute("alter table marts.fct_service_index drop constraint rates_within_0_and_1")
        conn.execute("update marts.fct_service_index set online_dossier_share = 1.5"
                     " where fct_service_index_id = 'province|2025|24|2025-06'")
    failed = run_mart_gate(nights["full"], "test-marts-fail", **dirs)
    assert failed.outcome == "fail"
    assert "online_dossier_share" in failed.message() and "province|2025|24|2025-06" in failed.message()
