"""The loader against a real PostgreSQL: accounting, duplicates, file-level rejection, no clear PII."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import psycopg
import pytest

from ingest.landing import loader
from ingest.runtime import load_audit
from tests.unit.landing.test_ingest_unit import PROVINCIAL_HEADER, provincial_row

pytestmark = pytest.mark.warehouse


@pytest.fixture(autouse=True)
def pii_key(monkeypatch):
    monkeypatch.setenv("PARWH_PII_KEY", "test-key-not-secret")


def write_provincial_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=PROVINCIAL_HEADER.split(","))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_every_row_is_loaded_or_rejected_with_its_reason(fresh_database, tmp_path):
    rows = [
        provincial_row(**{"Mã hồ sơ": "A-1"}),
        provincial_row(**{"Mã hồ sơ": "A-2", "Trạng thái": "Không rõ"}),
        provincial_row(**{"Mã hồ sơ": "A-3", "Ngày tiếp nhận": "hôm qua"}),
        provincial_row(**{"Mã hồ sơ": "A-1"}),
        provincial_row(**{"Mã hồ sơ": "A-4", "Trạng thái": "Đang xử lý", "Ngày kết thúc xử lý": ""}),
    ]
    path = write_provincial_csv(tmp_path / "export.csv", rows)
    result = loader.land_file(fresh_database, path)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_rejected) == ("loaded", 5, 2, 3)
    with psycopg.connect(fresh_database) as conn:
        load = conn.execute(
            "select status, profile, rows_read, rows_loaded, rows_rejected, file_name, length(file_sha256)"
            " from audit.loads where load_id = %s", (result.load_id,)).fetchone()
        assert load == ("loaded", "provincial_csv", 5, 2, 3, "export.csv", 64)
        rejected = conn.execute(
            "select row_number, reason_code, record ->> 'Mã hồ sơ' from audit.rejected_rows order by row_number"
        ).fetchall()
        assert rejected == [
            (2, "unknown_status", "A-2"), (3, "unparseable_date", "A-3"), (4, "duplicate_in_file", "A-1"),
        ]
        loaded = conn.execute("select dossier_code, status_code from raw.portal_dossiers order by 1").fetchall()
        assert loaded == [("A-1", "10"), ("A-4", "4")]
        events = conn.execute("select count(*) from raw.portal_dossier_events where _load_id = %s",
                              (result.load_id,)).fetchone()[0]
        assert events == 4  # two supplement requests on each loaded dossier


def test_the_same_file_twice_is_a_recorded_no_op(fresh_database, tmp_path):
    path = write_provincial_csv(tmp_path / "export.csv", [provincial_row()])
    first = loader.land_file(fresh_database, path)
    second = loader.land_file(fresh_database, path)
    assert first.status == "loaded" and second.status == "duplicate"
    with psycopg.connect(fresh_database) as conn:
        assert conn.execute("select count(*) from raw.portal_dossiers").fetchone()[0] == 1
        assert conn.execute("select duplicate_of from audit.loads where load_id = %s",
                            (second.load_id,)).fetchone()[0] == first.load_id


def test_a_file_level_problem_rejects_the_whole_file_and_loads_nothing(fresh_database, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Mã hồ sơ,Ghi chú\nA-1,x\n", encoding="utf-8")
    result = loader.land_file(fresh_database, path)
    assert result.status == "rejected"
    with psycopg.connect(fresh_database) as conn:
        status, error = conn.execute("select status, error from audit.loads").fetchone()
        assert status == "rejected" and "unknown_layout" in error and "provincial_csv" in error
        assert conn.execute("select count(*) from raw.portal_dossiers").fetchone()[0] == 0


def test_missing_province_rejects_the_file_unless_given(fresh_database, tmp_path):
    headers = [h for h in PROVINCIAL_HEADER.split(",") if h != "Mã tỉnh"]
    path = tmp_path / "no_province.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=headers, extrasaction="ignore")
        writer.writeheader()
        writer.writerow(provincial_row())
    assert loader.land_file(fresh_database, path).status == "rejected"
    path.write_bytes(path.read_bytes() + b"\n")  # new content: not a duplicate of the rejected delivery
    result = loader.land_file(fresh_database, path, province="79")
    assert result.status == "loaded" and result.rows_loaded == 1


def test_an_abandoned_started_load_is_marked_failed_by_the_next_run(fresh_database, tmp_path):
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        load_id, _ = load_audit.start_load(conn, source_kind="portal_export", profile=None, file_name="x.csv",
                                      file_path="/x.csv", file_sha256="0" * 64, file_bytes=1, province_code=None,
                                      run_id="crashed")
        # While its session lives, the load is not touched by a sweep from elsewhere.
        with psycopg.connect(fresh_database, autocommit=True) as other:
            assert load_audit.sweep_abandoned_loads(other) == []
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        assert load_audit.sweep_abandoned_loads(conn) == [load_id]
        assert conn.execute("select status from audit.loads where load_id = %s", (load_id,)).fetchone()[0] == "failed"


def test_no_clear_personal_data_anywhere_in_the_database(fresh_database, tmp_path):
    names = ["Nguyễn Thị Hoa", "Trần Văn Bảo"]
    ids = ["079123456789", "001099876543"]
    rows = [provincial_row(**{"Mã hồ sơ": f"P-{i}", "Chủ hồ sơ": n, "Số giấy tờ": d})
            for i, (n, d) in enumerate(zip(names, ids, strict=True))]
    rows.append(provincial_row(**{"Mã hồ sơ": "P-bad", "Trạng thái": "???", "Chủ hồ sơ": "Lê Văn Rejected",
                                  "Số giấy tờ": "036555000111"}))
    loader.land_file(fresh_database, write_provincial_csv(tmp_path / "pii.csv", rows))
    record = {"MaHoSo": "J-1", "MaTinh": "01", "TrangThaiHoSo": "4", "NgayTiepNhan": "20250304083000",
              "ChuHoSo": "Phạm Minh Json", "SoGiayToChuHoSo": "040404040404",
              "QuaTrinhXuLy": [{"NguoiXuLy": "Cán Bộ Xử Lý", "ThoiDiemXuLy": "20250304090000"}]}
    bad = {**record, "MaHoSo": "J-2", "TrangThaiHoSo": "77", "ChuHoSo": "Đỗ Json Rejected"}
    (tmp_path / "pii.jsonl").write_text(json.dumps(record) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    loader.land_file(fresh_database, tmp_path / "pii.jsonl")
    secrets = [*names, *ids, "Lê Văn Rejected", "036555000111", "Phạm Minh Json", "040404040404",
               "Cán Bộ Xử Lý", "Đỗ Json Rejected"]
    with psycopg.connect(fresh_database) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema in ('raw', 'audit') and table_type = 'BASE TABLE'").fetchall()
        dump = "\n".join(
            str(row) for schema, table in tables
            for row in conn.execute(f'select * from "{schema}"."{table}"').fetchall()  # names from the catalogue
        )
    assert "J-1" in dump and "P-bad" in dump  # the dump really holds the loaded and rejected rows
    for secret in secrets:
        assert secret not in dump, f"clear personal data found: {secret}"


def test_profile_override_works_for_csv_and_json_and_must_match_the_format(tmp_path):
    national = {"MaHoSo": "N-1", "MaTinh": "79", "TrangThaiHoSo": "4", "NgayTiepNhan": "20250304083000"}
    csv_path = tmp_path / "national.csv"
    csv_path.write_text(",".join(national) + "\n" + ",".join(national.values()) + "\n", encoding="utf-8")
    json_path = tmp_path / "national.jsonl"
    json_path.write_text(json.dumps(national) + "\n", encoding="utf-8")
    for path, name in [(csv_path, "dvcqg_csv"), (json_path, "dvcqg_json")]:
        result = loader.land_file(None, path, profile_name=name, dry_run=True)
        assert (result.status, result.profile, result.rows_loaded) == ("dry-run", name, 1)
    mismatch = loader.land_file(None, json_path, profile_name="dvcqg_csv", dry_run=True)
    assert mismatch.status == "rejected" and mismatch.error.startswith("profile_format_mismatch")
    # a profile that does not fit the header: the file is rejected naming the missing columns
    wrong = loader.land_file(None, csv_path, profile_name="provincial_csv", dry_run=True)
    assert wrong.status == "rejected" and wrong.error.startswith("missing_required_column")
