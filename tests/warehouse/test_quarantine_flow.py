"""A bad load is quarantined and never reaches the marts, while a good load of the same run is
published: the real loader, the real raw gate and a real dbt build on a fresh database.

`land_night` is the shared scenario (also used by the report site tests): two provincial CSV
exports landed and gated in one run. The good file has one row the loader rejects (unknown
status label); the bad file loads but fails its raw gate (a supplement answered before it was
requested), and it also re-delivers a dossier of the good file, which must not supersede it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from expectations import GateResult, run_mart_gate, run_raw_gate
from expectations.suites import EVENTS_SUITE
from ingest.landing import loader
from ingest.landing.loader import LoadResult
from ingest.runtime import dbt_node_runs, dbt_runner
from tests.unit.landing.test_ingest_unit import PROVINCIAL_HEADER, provincial_row

pytestmark = pytest.mark.warehouse

RUN_ID = "scheduled__2026-11-20T19:00:00+00:00"
AS_OF = "2026-11-20"
NO_SUPPLEMENT = {"Số lần bổ sung": "", "Ngày yêu cầu bổ sung": "", "Ngày nhận bổ sung": ""}
# A formula a spreadsheet would run if the rejection CSV did not escape it.
FORMULA_CODE = '=HYPERLINK("http://example.invalid","open me")'

GOOD_ROWS = [
    provincial_row(**{**NO_SUPPLEMENT, "Mã hồ sơ": "G-EARLY", "Ngày tiếp nhận": "02/11/2026 08:30",
                      "Ngày hẹn trả": "06/11/2026 17:00", "Ngày kết thúc xử lý": "05/11/2026 10:00"}),
    provincial_row(**{**NO_SUPPLEMENT, "Mã hồ sơ": "G-OPEN", "Trạng thái": "Đang xử lý",
                      "Ngày tiếp nhận": "16/11/2026 09:00", "Ngày hẹn trả": "25/11/2026 17:00",
                      "Ngày kết thúc xử lý": ""}),
    # One supplement paused the clock a day, but it still finished after its due date.
    provincial_row(**{"Mã hồ sơ": "G-LATE", "Ngày tiếp nhận": "03/11/2026 08:00", "Ngày hẹn trả": "05/11/2026 17:00",
                      "Ngày kết thúc xử lý": "10/11/2026 16:00", "Số lần bổ sung": "1",
                      "Ngày yêu cầu bổ sung": "03/11/2026 10:00", "Ngày nhận bổ sung": "04/11/2026 10:00"}),
    provincial_row(**{**NO_SUPPLEMENT, "Mã hồ sơ": FORMULA_CODE, "Trạng thái": "Chờ phê duyệt nội bộ"}),
]
BAD_ROWS = [
    provincial_row(**{**NO_SUPPLEMENT, "Mã hồ sơ": "B-FINE", "Ngày tiếp nhận": "09/11/2026 08:30",
                      "Ngày hẹn trả": "13/11/2026 17:00", "Ngày kết thúc xử lý": "12/11/2026 10:00"}),
    provincial_row(**{"Mã hồ sơ": "B-TIME-TRAVEL", "Ngày tiếp nhận": "09/11/2026 08:30",
                      "Ngày hẹn trả": "13/11/2026 17:00", "Ngày kết thúc xử lý": "12/11/2026 10:00",
                      "Số lần bổ sung": "1", "Ngày yêu cầu bổ sung": "10/11/2026 10:00",
                      "Ngày nhận bổ sung": "09/11/2026 15:00"}),
    # A re-delivery of a good dossier, now "in progress": it must not win, its load is quarantined.
    provincial_row(**{**NO_SUPPLEMENT, "Mã hồ sơ": "G-EARLY", "Trạng thái": "Đang xử lý",
                      "Ngày tiếp nhận": "02/11/2026 08:30", "Ngày hẹn trả": "06/11/2026 17:00",
                      "Ngày kết thúc xử lý": ""}),
]


@dataclass
class Night:
    """What one run landed: the loader's results and the gates' results, good load first."""

    good: LoadResult
    bad: LoadResult
    good_gate: GateResult
    bad_gate: GateResult


def write_provincial_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=PROVINCIAL_HEADER.split(","))
        writer.writeheader()
        writer.writerows(rows)
    return path


def land_night(url: str, folder: Path, *, site_dir: Path, gx_root: Path, run_id: str = RUN_ID) -> Night:
    """Land and gate the good and the bad export in one run (PARWH_PII_KEY must be set)."""
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    for name, rows in (("portal_hcm_good_2026-11-20.csv", GOOD_ROWS), ("portal_hcm_bad_2026-11-20.csv", BAD_ROWS)):
        landed = loader.land_file(url, write_provincial_csv(folder / name, rows), run_id=run_id)
        assert landed.status == "loaded", landed.error
        results.append((landed, run_raw_gate(url, landed.load_id, run_id, site_dir=site_dir, gx_root=gx_root)))
    (good, good_gate), (bad, bad_gate) = results
    return Night(good, bad, good_gate, bad_gate)


@pytest.fixture(autouse=True)
def pii_key(monkeypatch):
    monkeypatch.setenv("PARWH_PII_KEY", "test-key-not-secret")


def test_bad_load_is_quarantined_and_absent_from_the_marts_while_the_good_load_is_published(
    fresh_database, tmp_path
):
    url = fresh_database
    site, gx_root = tmp_path / "site", tmp_path / "gx"
    night = land_night(url, tmp_path / "landing", site_dir=site, gx_root=gx_root)

    assert (night.good.rows_read, night.good.rows_loaded, night.good.rows_rejected) == (4, 3, 1)
    assert night.good_gate.outcome in ("pass", "warn"), night.good_gate.message()
    assert night.bad_gate.outcome == "fail"

    target = tmp_path / "dbt_target"
    dbt_runner.build(url, vars={"as_of_date": AS_OF}, target_path=target)
    assert dbt_node_runs.record_run_results(url, RUN_ID, target_path=target) > 0
    mart = run_mart_gate(url, RUN_ID, site_dir=site, gx_root=gx_root)

    with psycopg.connect(url) as conn:
        facts = {dossier_id: (load_id, outcome) for dossier_id, load_id, outcome in conn.execute(
            "select dossier_id, load_id, outcome from marts.fct_dossiers")}
        loads = {row[0]: row[1:] for row in conn.execute(
            "select load_id, status, gate_outcome, error from audit.loads where run_id = %s", (RUN_ID,))}
        failed = conn.execute(
            "select r.suite_name, r.expectation_name, r.column_name, r.severity, r.sample_keys, r.details ->> 'why'"
            " from audit.validation_results r where r.load_id = %s and not r.success", (night.bad.load_id,)
        ).fetchall()
        dbt_failures = conn.execute(
            "select count(*) from audit.dbt_node_runs where run_id = %s and status in ('error', 'fail')", (RUN_ID,)
        ).fetchone()[0]

    # Published: the good load's dossiers, judged; the good delivery of G-EARLY wins over the
    # quarantined re-delivery. Absent: every dossier of the bad load.
    good_id = night.good.load_id
    assert facts == {
        "G-EARLY": (good_id, "early"),
        "G-OPEN": (good_id, "in_progress"),
        "G-LATE": (good_id, "late"),
    }
    # The audit says why: the load is quarantined by the events suite, naming the check, the
    # column and the offending dossier, with the reason it matters.
    status, gate_outcome, error = loads[night.bad.load_id]
    assert (status, gate_outcome) == ("quarantined", "fail")
    assert "supplement_received_not_before_requested" in error and "B-TIME-TRAVEL" in error
    assert loads[good_id][:2] == ("loaded", night.good_gate.outcome)
    assert [(suite, name, column, severity, keys) for suite, name, column, severity, keys, _ in failed] == [
        (EVENTS_SUITE, "supplement_received_not_before_requested", "supplement_received_at", "critical",
         ["B-TIME-TRAVEL"]),
    ]
    assert "negative pause" in failed[0][5]
    # The marts built from the published load satisfy the mart suite, and dbt's own tests pass.
    assert mart.outcome in ("pass", "warn"), mart.message()
    assert dbt_failures == 0
