"""ZIP deliveries: each member its own load, limits against zip bombs, archive-level problems."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import psycopg
import pytest

from ingest.landing import archives, loader
from tests.unit.landing.test_ingest_unit import provincial_row
from tests.warehouse.test_formats_xlsx import data_row, write_report
from tests.warehouse.test_loader import write_provincial_csv


@pytest.fixture(autouse=True)
def pii_key(monkeypatch):
    monkeypatch.setenv("PARWH_PII_KEY", "zip-test-key")
    for name in ("PARWH_ZIP_MAX_MEMBERS", "PARWH_ZIP_MAX_BYTES", "PARWH_ZIP_MAX_RATIO"):
        monkeypatch.delenv(name, raising=False)


def national_line(code: str) -> str:
    return json.dumps({"MaHoSo": code, "MaTinh": "79", "TrangThaiHoSo": "4", "NgayTiepNhan": "20250304083000"})


def bundle(tmp_path: Path, extra: dict[str, bytes] | None = None) -> Path:
    csv_path = write_provincial_csv(tmp_path / "src.csv", [provincial_row(**{"Mã hồ sơ": "Z-1"}),
                                                           provincial_row(**{"Mã hồ sơ": "Z-2", "Trạng thái": "?"})])
    # An .xlsx records when it was written (workbook properties, zip entry times): written once per
    # folder, so a second bundle() is byte for byte the same archive, whatever the clock says.
    xlsx_path = tmp_path / "src.xlsx"
    if not xlsx_path.exists():
        write_report(xlsx_path, [data_row(1, "Z-3")])
    target = tmp_path / "bundle.zip"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(csv_path, "thang3/ha_noi.csv")
        archive.writestr("tphcm.jsonl", national_line("Z-4") + "\n")
        archive.write(xlsx_path, "bao_cao.xlsx")
        archive.writestr("__MACOSX/._ha_noi.csv", b"resource fork junk")
        archive.writestr("thang3/", b"")
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return target


@pytest.mark.warehouse
def test_each_member_is_its_own_load_named_after_the_archive(fresh_database, tmp_path):
    results = loader.land_path(fresh_database, bundle(tmp_path), province="01")
    assert [(r.name, r.status, r.rows_loaded, r.rows_rejected) for r in results] == [
        ("bundle.zip!thang3/ha_noi.csv", "loaded", 1, 1),
        ("bundle.zip!tphcm.jsonl", "loaded", 1, 0),
        ("bundle.zip!bao_cao.xlsx", "loaded", 1, 0),
    ]
    with psycopg.connect(fresh_database) as conn:
        names = conn.execute("select file_name, profile, file_path like '%bundle.zip!%' from audit.loads"
                             " order by load_id").fetchall()
        codes = [c for (c,) in conn.execute("select dossier_code from raw.portal_dossiers order by 1").fetchall()]
    assert names == [("bundle.zip!thang3/ha_noi.csv", "provincial_csv", True),
                     ("bundle.zip!tphcm.jsonl", "dvcqg_json", True),
                     ("bundle.zip!bao_cao.xlsx", "provincial_xlsx", True)]
    assert codes == ["Z-1", "Z-3", "Z-4"]
    # The same archive again: every member is a recorded duplicate.
    again = loader.land_path(fresh_database, bundle(tmp_path), province="01")
    assert [r.status for r in again] == ["duplicate"] * 3


@pytest.mark.warehouse
def test_a_bomb_like_member_is_rejected_and_the_others_load(fresh_database, tmp_path):
    bomb = b"0" * (20 * 1024 * 1024)        # ~20 MiB of zeros deflate to ~20 KiB: a 1000x expansion
    results = loader.land_path(fresh_database, bundle(tmp_path, {"zzz_bomb.csv": bomb, "inner.zip": b"PK"}),
                               province="01")
    by_name = {r.name: r for r in results}
    bomb_load = by_name["bundle.zip!zzz_bomb.csv"]
    assert bomb_load.status == "rejected" and bomb_load.error.startswith("archive_limit")
    assert "PARWH_ZIP_MAX_RATIO" in bomb_load.error
    assert by_name["bundle.zip!inner.zip"].error.startswith("nested_archive")
    assert by_name["bundle.zip!tphcm.jsonl"].status == "loaded"
    with psycopg.connect(fresh_database) as conn:
        row = conn.execute("select status, file_bytes, length(file_sha256) from audit.loads"
                           " where file_name = 'bundle.zip!zzz_bomb.csv'").fetchone()
    assert row == ("rejected", None, 64)


def test_limits_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PARWH_ZIP_MAX_BYTES", "3000")
    results = loader.land_path(None, bundle(tmp_path), dry_run=True, province="01")
    statuses = {r.name: (r.status, (r.error or "")[:13]) for r in results}
    assert statuses["bundle.zip!thang3/ha_noi.csv"] == ("dry-run", "unknown_statu")   # small: fits
    assert statuses["bundle.zip!bao_cao.xlsx"] == ("rejected", "archive_limit")       # over what is left
    monkeypatch.setenv("PARWH_ZIP_MAX_MEMBERS", "2")
    (only,) = loader.land_path(None, bundle(tmp_path), dry_run=True)
    assert only.name == "bundle.zip" and only.error.startswith("archive_limit") and "3 members" in only.error
    monkeypatch.setenv("PARWH_ZIP_MAX_RATIO", "lots")
    with pytest.raises(archives.LimitSettingError):
        archives.ZipLimits.from_env()


def test_expansion_stops_at_the_limit_even_when_the_header_understates_it(tmp_path):
    target = tmp_path / "a.zip"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.csv", b"x" * (3 * 1024 * 1024))
    with zipfile.ZipFile(target) as archive:
        info = archive.getinfo("big.csv")
        limits = archives.ZipLimits(max_ratio=10_000)
        sha, problem = archives._expand(archive, info, tmp_path / "out.csv", limits, budget=2 * 1024 * 1024)
    assert sha is None and problem.reason_code == "archive_limit" and "stopped after" in problem.message


def test_an_unreadable_or_empty_archive_is_one_rejected_load(tmp_path):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 this is not a zip")
    (result,) = loader.land_path(None, broken, dry_run=True)
    assert result.name == "broken.zip" and result.error.startswith("bad_archive")
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w"):
        pass
    (result,) = loader.land_path(None, empty, dry_run=True)
    assert result.status == "rejected" and "holds no files" in result.error


@pytest.mark.warehouse
def test_parwh_ingest_of_a_zip_with_a_bad_member_quarantines_the_archive(fresh_database, tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    bundle(tmp_path, {"ghi_chu.pdf": b"%PDF-1.4"}).rename(landing / "bundle.zip")
    env = {**os.environ, "WAREHOUSE_URL": fresh_database, "PARWH_PII_KEY": "cli-zip-key",
           "PARWH_LANDING_DIR": str(landing), "PARWH_ARCHIVE_DIR": str(tmp_path / "archive"),
           "PARWH_QUARANTINE_DIR": str(tmp_path / "quarantine"),
           "PARWH_SITE_DIR": str(tmp_path / "site"), "PARWH_LOCAL_DIR": str(tmp_path / "local")}
    proc = subprocess.run([sys.executable, "-m", "ingest.cli", "ingest", str(landing), "--province", "01"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 1, proc.stderr
    table = {line.split()[0]: line.split()[-1] for line in proc.stdout.splitlines()[2:] if line.startswith("bundle")}
    assert table == {"bundle.zip!thang3/ha_noi.csv": "loaded", "bundle.zip!tphcm.jsonl": "loaded",
                     "bundle.zip!bao_cao.xlsx": "loaded", "bundle.zip!ghi_chu.pdf": "rejected"}
    assert not (landing / "bundle.zip").exists()
    why = (tmp_path / "quarantine" / "bundle.zip.why.txt").read_text(encoding="utf-8")
    assert "bundle.zip!ghi_chu.pdf: rejected: unsupported_format" in why
