"""Careless and hostile input (issue 15, part A): the readers, the redaction of rejected records and
the personal-data key. What the corpus in tests/fixtures/bad/ shows end to end, piece by piece."""

from __future__ import annotations

import csv
import io
import json
import sys
import unicodedata
from pathlib import Path

import psycopg
import pytest

from ingest.cli import main
from ingest.landing import loader, profiles, readers
from ingest.landing.pii import MissingKeyError, key_fingerprint, load_key
from ingest.landing.records import PrecomputedHasher, RecordMapper, RowRejection
from ingest.text import INVISIBLE
from tests.unit.landing.test_ingest_unit import PROVINCIAL_HEADER, provincial_row
from tests.warehouse.test_loader import write_provincial_csv

HEADERS = PROVINCIAL_HEADER.split(",")
HASHER = PrecomputedHasher(b"hostile-unit-key")


@pytest.fixture(autouse=True)
def pii_key(monkeypatch):
    monkeypatch.setenv("PARWH_PII_KEY", "hostile-unit-key")


def csv_line(**overrides: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(list(provincial_row(**{"Lệ phí": "5", **overrides}).values()))
    return out.getvalue()


def redact(profile: str, record: dict) -> str:
    return loader._Redactor(profiles.get_profile(profile), HASHER)(record)


def rows_of(path: Path) -> list[tuple[int, list[str]]]:
    return list(readers.open_file(path).rows)


# ---- invisible characters ---------------------------------------------------------------------
def test_the_invisible_class_is_every_format_character():
    format_chars = {chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"}
    matched = {chr(c) for c in range(sys.maxunicode + 1) if INVISIBLE.match(chr(c))}
    assert matched == format_chars


def test_invisible_characters_do_not_make_distinct_dossiers_or_people():
    mapper = RecordMapper(profiles.get_profile("dvcqg_json"), HASHER, None, {})
    base = {"MaTinh": "79", "TrangThaiHoSo": "4", "NgayTiepNhan": "20250304083000"}
    first = mapper.map({**base, "MaHoSo": "H-1", "ChuHoSo": "Nguyễn Văn A"}).values
    with pytest.raises(RowRejection) as again:
        mapper.map({**base, "MaHoSo": "\ufeffH\u200b-1\u2060", "ChuHoSo": "Nguyễn\u200b Văn A"})
    assert again.value.reason_code == "duplicate_in_file" and "'H-1'" in again.value.reason
    other = mapper.map({**base, "MaHoSo": "H-2", "ChuHoSo": "Nguyễn\u200b Văn\u00ad A"}).values
    assert first["dossier_code"] == "H-1" and other["applicant_name_hash"] == first["applicant_name_hash"]


# ---- CSV: a quote left open, a record too large -------------------------------------------------
def test_a_quote_left_open_rejects_the_record_and_each_record_it_swallowed(tmp_path):
    path = tmp_path / "open.csv"
    path.write_text(PROVINCIAL_HEADER + "\n" + csv_line(**{"Mã hồ sơ": "Q-1", "Ghi chú": "@"}).replace("@", '"mở')
                    + csv_line(**{"Mã hồ sơ": "Q-2", "Chủ hồ sơ": "Tên Bị Nuốt", "Số giấy tờ": "079000000099"})
                    + csv_line(**{"Mã hồ sơ": "Q-3", "Ghi chú": "@"}).replace("@", 'đóng"')
                    + csv_line(**{"Mã hồ sơ": "Q-4", "Ghi chú": "hai\ndòng, thường"}), encoding="utf-8")
    rows = rows_of(path)
    assert [number for number, _ in rows] == [1, 2, 3, 4]
    assert [getattr(row, "reason_code", None) for _, row in rows] == ["unclosed_quote"] * 3 + [None]
    assert "rows 2-3, rejected with it" in rows[0][1].problem and "row 1 (column Ghi chú)" in rows[1][1].problem
    swallowed = json.loads(redact("provincial_csv", readers.row_as_record(HEADERS, rows[1][1])))
    assert swallowed["Mã hồ sơ"] == "Q-2", "a swallowed line that splits into the header's fields keeps its code"
    assert "Tên Bị Nuốt" not in str(swallowed) and "079000000099" not in str(swallowed)
    assert rows[3][1][-1] == "hai\ndòng, thường", "a quoted line break that holds no record is an ordinary cell"


def test_a_quote_never_closed_counts_every_record_it_swallowed(tmp_path):
    path = tmp_path / "never_closed.csv"
    path.write_text(PROVINCIAL_HEADER + "\n" + csv_line(**{"Mã hồ sơ": "N-1", "Ghi chú": "@"}).replace("@", '"mở')
                    + "".join(csv_line(**{"Mã hồ sơ": f"N-{n}"}) for n in range(2, 201)), encoding="utf-8")
    result = loader.land_file(None, path, dry_run=True)
    assert result.rows_read == 200 and result.rows_loaded + result.rows_rejected == 200
    assert result.rejection_counts == {"record_too_large": result.rows_rejected} and result.rows_rejected > 50


def test_a_header_of_too_many_fields_is_not_split_either(tmp_path, monkeypatch):
    monkeypatch.setenv("PARWH_MAX_COLUMNS", "10")
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{n}" for n in range(60)) + "\nx\n", encoding="utf-8")
    with pytest.raises(readers.FileRejected) as rejected:
        readers.open_file(path)
    assert rejected.value.reason_code == "too_many_columns"


# ---- JSON ---------------------------------------------------------------------------------------
def test_json_layout_array_or_lines(tmp_path):
    record = {"MaHoSo": "J-1", "MaTinh": "79", "TrangThaiHoSo": "4"}
    cases = {"pretty.json": json.dumps([record, record], indent=2), "one_line.json": json.dumps([record]) + "\n",
             "lines.json": json.dumps([1, 2]) + "\n" + json.dumps(record) + "\n",
             "array_named_lines.jsonl": json.dumps([record]) + "\n"}
    layouts = {}
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        layouts[name] = readers.open_file(tmp_path / name).detail
    assert layouts == {"pretty.json": "layout=json-array", "one_line.json": "layout=json-array",
                       "lines.json": "layout=json-lines", "array_named_lines.jsonl": "layout=json-lines"}
    lines = readers.open_file(tmp_path / "lines.json")
    assert lines.headers == sorted(record) and [n for n, _ in lines.records] == [1, 2]


@pytest.mark.parametrize("layout", ["lines", "array"])
def test_a_key_given_twice_rejects_the_record(tmp_path, layout):
    items = ['{"MaHoSo": "D-1", "TrangThaiHoSo": "4", "TrangThaiHoSo": "10"}',
             '{"MaHoSo": "D-2", "DanhSachLePhi": [{"Gia": "1", "Gia": "2"}]}', '{"MaHoSo": "D-3"}']
    path = tmp_path / f"dup_{layout}.json"
    path.write_text("\n".join(items) if layout == "lines" else "[" + ",\n".join(items) + "]", encoding="utf-8")
    records = [record for _, record in readers.open_file(path).records]
    assert [r.get(readers.SHAPE_CODE) for r in records] == ["duplicate_key", "duplicate_key", None]
    assert "'TrangThaiHoSo' more than once" in records[0][readers.SHAPE_ERROR]


def test_a_json_line_over_the_limit_is_never_held_whole(tmp_path, monkeypatch):
    monkeypatch.setenv("PARWH_MAX_CELL_CHARS", "1000")
    path = tmp_path / "long.jsonl"
    path.write_text('{"MaHoSo": "L-1"}\n{"ChuHoSo": "' + "Tên Dài " * 500 + '"}\n{"MaHoSo": "L-3"}\n', encoding="utf-8")
    records = [record for _, record in readers.open_file(path).records]
    assert records[1] == {readers.SHAPE_ERROR: records[1][readers.SHAPE_ERROR], readers.LINE_CHARS: 4016}
    assert json.loads(redact("dvcqg_json", records[1])) == {"line": {"characters": 4016}}
    assert records[2] == {"MaHoSo": "L-3"}


def test_personal_data_is_hashed_by_key_whatever_its_type_or_depth():
    secrets = ["79000000001", "Họ Đối", "Tên Mảng", "79000000002", "Lồng Sâu", "Cán Bộ Lồng"]
    record = {"MaHoSo": "P-1", "ChuHoSo": 79000000001, "chu ho so": {"Ho": "Họ Đối"}, "DinhDanhCHS": ["Tên Mảng"],
              "Khac": [{"NguoiNop": {"SoGiayToChuHoSo": 79000000002, "ChuHoSo": "Lồng Sâu"}}],
              "QuaTrinhXuLy": [{"NguoiXuLy": {"Ten": "Cán Bộ Lồng"}, "ThoiDiemXuLy": "x"}]}
    stored = redact("dvcqg_json", record)
    assert json.loads(stored)["MaHoSo"] == "P-1" and not [s for s in secrets if s in stored]
    assert json.loads(stored)["ChuHoSo"] == HASHER("79000000001"), "hashed as the loader hashes the same value"


def test_records_that_are_not_objects_keep_nothing_in_clear():
    not_object = {readers.SHAPE_ERROR: "is not a JSON object", readers.NOT_OBJECT: ["A-1", "Tên Trong Mảng", 7900001]}
    stored = redact("dvcqg_json", not_object)
    assert "Tên Trong Mảng" not in stored and "7900001" not in stored
    assert json.loads(stored)["value"][0] == HASHER("A-1")
    line = "ChuHoSo: Tên Cú Pháp Khác, SoGiayTo: 079000000111"
    stored = json.loads(redact("dvcqg_json", {readers.SHAPE_ERROR: "is not valid JSON", readers.RAW_LINE: line}))
    assert stored == {"line": {"characters": len(line), "hash": HASHER(line)}}
    deep: dict = {"ChuHoSo": "Tên Rất Sâu"}
    for _ in range(30):
        deep = {"x": deep}
    assert "Tên Rất Sâu" not in redact("dvcqg_json", {"MaHoSo": "D", "y": deep})


# ---- no data row quoted in a message -------------------------------------------------------------
def test_unknown_layout_never_quotes_a_cell():
    row = list(provincial_row(**{"Chủ hồ sơ": "Tên Dòng Đầu", "Số giấy tờ": "079000000222"}).values())
    with pytest.raises(profiles.ProfileError) as error:
        profiles.detect("csv", row)
    assert "27 cells" in str(error.value)
    assert not [cell for cell in row if len(cell) > 2 and cell in str(error.value)]


# ---- the personal-data key ----------------------------------------------------------------------
@pytest.mark.parametrize("key", [" ", "   \t ", "short", "a b c d"])
def test_a_blank_or_short_key_is_refused(monkeypatch, tmp_path, key):
    monkeypatch.setenv("PARWH_PII_KEY", key)
    with pytest.raises(MissingKeyError, match="blank or too short"):
        load_key()
    monkeypatch.delenv("PARWH_PII_KEY")
    monkeypatch.setenv("PARWH_PII_KEY_FILE", str(tmp_path / "pii.key"))
    (tmp_path / "pii.key").write_text(key + "\n", encoding="utf-8")
    with pytest.raises(MissingKeyError, match="blank or too short"):
        load_key()


@pytest.mark.fault
def test_a_one_space_key_is_a_usage_error_of_one_line(tmp_path, capsys, monkeypatch, reliability):
    with reliability.fault("PARWH_PII_KEY is one space"):
        monkeypatch.setenv("PARWH_PII_KEY", " ")
        path = write_provincial_csv(tmp_path / "a.csv", [provincial_row()])
        assert main(["ingest", "--dry-run", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "blank or too short" in err and "Traceback" not in err


def test_the_fingerprint_names_a_key_without_revealing_it():
    assert key_fingerprint(b"key-one-secret") == key_fingerprint(b"key-one-secret") != key_fingerprint(b"key-two")
    assert len(key_fingerprint(b"key-one-secret")) == 16 and b"key-one" not in key_fingerprint(b"key-one").encode()


@pytest.mark.warehouse
@pytest.mark.fault
def test_a_changed_key_is_recorded_noted_and_shown(fresh_database, tmp_path, monkeypatch, capsys, reliability):
    with reliability.fault("the personal-data key changes between two loads"):
        first = write_provincial_csv(tmp_path / "first.csv", [provincial_row(**{"Mã hồ sơ": "K-1"})])
        second = write_provincial_csv(tmp_path / "second.csv", [provincial_row(**{"Mã hồ sơ": "K-2"})])
        monkeypatch.setenv("PARWH_PII_KEY", "the-first-key")
        assert loader.land_file(fresh_database, first).error is None
        monkeypatch.setenv("PARWH_PII_KEY", "the-second-key")
        result = loader.land_file(fresh_database, second)
        assert result.status == "loaded" and result.error.startswith("pii_key_changed: ")
        with psycopg.connect(fresh_database) as conn:
            keys = conn.execute("select pii_key_fingerprint, error from audit.loads order by load_id").fetchall()
        assert [k for k, _ in keys] == [key_fingerprint(b"the-first-key"), key_fingerprint(b"the-second-key")]
        assert keys[1][1] == result.error and "the-second-key" not in result.error
        monkeypatch.setenv("WAREHOUSE_URL", fresh_database)
        assert main(["status"]) == 0
        out = capsys.readouterr().out
        assert "WARNING: loads hashed personal data with 2 different keys" in out
        assert key_fingerprint(b"the-first-key") in out and key_fingerprint(b"the-second-key") in out
