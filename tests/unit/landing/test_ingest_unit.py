"""Unit tests of the ingest pieces that need no database: folding, profiles, readers, records."""

from __future__ import annotations

import codecs
import json
import unicodedata
from pathlib import Path

import pytest

from ingest.landing import profiles, readers
from ingest.landing.pii import Hasher
from ingest.landing.records import RecordMapper, RowRejection, parse_timestamp
from ingest.text import fold

HASH = Hasher(b"unit-test-key")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: precomposed vowels where the code page has them, tones combining."""
    out = b""
    for ch in nfc(text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = nfc("".join(c for c in parts if c not in TONE_MARKS))
            out += (base + "".join(c for c in parts if c in TONE_MARKS)).encode("cp1258")
    return out

PROVINCIAL_HEADER = (
    "STT,Mã tỉnh,Mã hồ sơ,Mã thủ tục,Tên thủ tục,Lĩnh vực,Mã đơn vị,Đơn vị xử lý,Kênh nộp,Mức độ DVC,Trạng thái,"
    "Ngày nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày kết thúc xử lý,Ngày trả kết quả,Ngày từ chối,Thanh toán trực tuyến,"
    "Lệ phí,Số hóa,Kết quả điện tử,Số lần bổ sung,Ngày yêu cầu bổ sung,Ngày nhận bổ sung,Chủ hồ sơ,Số giấy tờ,Ghi chú"
)


def provincial_row(**overrides: str) -> dict[str, str]:
    headers = PROVINCIAL_HEADER.split(",")
    row = dict.fromkeys(headers, "")
    row.update({
        "STT": "1", "Mã tỉnh": "79", "Mã hồ sơ": "H29.1-250304-0001", "Mã thủ tục": "1.001612",
        "Tên thủ tục": "Đăng ký khai sinh", "Kênh nộp": "Trực tuyến", "Mức độ DVC": "Toàn trình",
        "Trạng thái": "Đã trả kết quả", "Ngày tiếp nhận": "04/03/2025 08:30", "Ngày hẹn trả": "06/03/2025 17:00",
        "Ngày kết thúc xử lý": "05/03/2025 10:00", "Thanh toán trực tuyến": "Cổng DVCQG", "Lệ phí": "50,000",
        "Số lần bổ sung": "2", "Ngày yêu cầu bổ sung": "04/03/2025 09:00; 04/03/2025 11:00",
        "Ngày nhận bổ sung": "04/03/2025 10:00; 04/03/2025 12:00", "Chủ hồ sơ": "Nguyễn Văn An",
        "Số giấy tờ": "001099012345",
    })
    row.update(overrides)
    return row


def mapper_for(profile_name: str, headers: list[str], province: str | None = None) -> RecordMapper:
    profile = profiles.get_profile(profile_name)
    return RecordMapper(profile, HASH, province, profile.header_map(headers))


def test_fold_ignores_case_diacritics_spacing_punctuation_and_unicode_form():
    decomposed = unicodedata.normalize("NFD", "Ngày Tiếp Nhận")
    assert fold("Ngày tiếp nhận") == fold("NGAY_TIEP_NHAN") == fold(" ngay tiep-nhan. ") == fold(decomposed)
    assert fold("Đã trả kết quả") == "datraketqua"
    assert fold("Ngày tiếp nhận") != fold("Ngày hẹn trả")


def test_detection_picks_the_profile_from_the_header_signature():
    assert profiles.detect("csv", PROVINCIAL_HEADER.split(",")).name == "provincial_csv"
    national = ["MaHoSo", "MaTTHC", "TrangThaiHoSo", "NgayTiepNhan", "NgayHenTra"]
    assert profiles.detect("csv", national).name == "dvcqg_csv"
    assert profiles.detect("json", national).name == "dvcqg_json"


def test_detection_failure_lists_candidates_and_deciding_columns():
    with pytest.raises(profiles.ProfileError) as err:
        profiles.detect("csv", ["foo", "bar"])
    message = str(err.value)
    assert "provincial_csv" in message and "dvcqg_csv" in message and "missing required" in message


def test_provincial_record_maps_labels_dates_fees_supplements_and_hashes_personal_data():
    mapper = mapper_for("provincial_csv", PROVINCIAL_HEADER.split(","))
    mapped = mapper.map(provincial_row())
    values = mapped.values
    assert values["status_code"] == "10" and values["status"] == "Đã trả kết quả"
    assert values["channel"] == "2" and values["online_level"] == "full_online" and values["paid_online"] == "1"
    assert values["received_at"] == "2025-03-04 08:30:00"
    assert values["fee_amount"] == "50000"
    assert values["supplement_count"] == "2"
    assert values["applicant_name_hash"] == HASH("Nguyễn Văn An") != "Nguyễn Văn An"
    assert len(values["applicant_id_hash"]) == 64 and "001099012345" not in values.values()
    supplements = [(seq, e["requested_at"], e["supplement_received_at"]) for kind, seq, e in mapped.events]
    assert supplements == [(1, "2025-03-04 09:00:00", "2025-03-04 10:00:00"), (2, "2025-03-04 11:00:00",
                                                                                  "2025-03-04 12:00:00")]


@pytest.mark.parametrize(
    ("overrides", "reason_code"),
    [
        ({"Mã hồ sơ": ""}, "missing_dossier_code"),
        ({"Trạng thái": "Đã bay lên trời"}, "unknown_status"),
        ({"Ngày tiếp nhận": "31/02/2025 08:00"}, "unparseable_date"),
        ({"Ngày kết thúc xử lý": "01/03/2025 08:00"}, "received_after_finished"),
        ({"Ngày hẹn trả": "01/03/2025 08:00"}, "due_before_received"),
        ({"Lệ phí": "-5"}, "negative_number"),
        ({"Lệ phí": "free"}, "not_a_number"),
        ({"Kênh nộp": "Bồ câu đưa thư"}, "unknown_channel"),
        ({"Ngày tiếp nhận": "04/03/1900 08:00"}, "implausible_date"),
        ({"Mã tỉnh": "ABC"}, "bad_province_code"),
    ],
)
def test_row_level_problems_reject_the_row_with_a_reason(overrides, reason_code):
    mapper = mapper_for("provincial_csv", PROVINCIAL_HEADER.split(","))
    with pytest.raises(RowRejection) as err:
        mapper.map(provincial_row(**overrides))
    assert err.value.reason_code == reason_code
    assert "column" in err.value.reason


def test_duplicate_dossier_within_a_file_is_rejected_the_second_time():
    mapper = mapper_for("provincial_csv", PROVINCIAL_HEADER.split(","))
    mapper.map(provincial_row())
    with pytest.raises(RowRejection) as err:
        mapper.map(provincial_row())
    assert err.value.reason_code == "duplicate_in_file"


def test_province_comes_from_the_option_when_the_export_has_no_column():
    headers = [h for h in PROVINCIAL_HEADER.split(",") if h != "Mã tỉnh"]
    row = {k: v for k, v in provincial_row().items() if k != "Mã tỉnh"}
    assert mapper_for("provincial_csv", headers, province="1").map(row).values["gso_code"] == "01"
    with pytest.raises(RowRejection) as err:
        mapper_for("provincial_csv", headers).map(row)
    assert err.value.reason_code == "missing_province"


def test_national_json_record_sums_fees_counts_lists_and_hashes_step_handlers():
    record = {
        "MaHoSo": "H01-1", "MaTinh": "01", "TrangThaiHoSo": "9", "KenhThucHien": "", "MucDo": "3",
        "NgayTiepNhan": "20250304083000", "NgayKetThucXuLy": "20250305083000",
        "DanhSachLePhi": [{"Gia": "20000"}, {"Gia": "30000"}], "DanhSachGiayToKetQua": [{"TenGiayTo": "x"}],
        "QuaTrinhXuLy": [{"NguoiXuLy": "Lê Thị Bình", "ThoiDiemXuLy": "20250304090000"}],
        "ChuHoSo": "Phạm Văn C",
    }
    mapped = mapper_for("dvcqg_json", list(record)).map(record)
    assert mapped.values["fee_amount"] == "50000"
    assert mapped.values["channel"] == "1"  # empty counts as in person
    assert mapped.values["online_level"] == "partial_online"
    assert mapped.values["has_electronic_result"] == "1" and mapped.values["supplement_count"] == "0"
    (kind, seq, step), = mapped.events
    assert kind == "processing_step" and step["handler_hash"] == HASH("Lê Thị Bình")


def test_timestamp_parsing_names_the_column_and_formats():
    assert parse_timestamp("20250304083000", ["%Y%m%d%H%M%S"], "received_at") == "2025-03-04 08:30:00"
    with pytest.raises(RowRejection) as err:
        parse_timestamp("yesterday", ["%Y%m%d%H%M%S"], "received_at")
    assert "received_at" in err.value.reason and "yesterday" in err.value.reason


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1258"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_reader_handles_encodings_delimiters_crlf_and_quoted_newlines(tmp_path: Path, encoding, delimiter):
    text = f"Mã hồ sơ{delimiter}Trạng thái{delimiter}Ghi chú\r\nA1{delimiter}Đang xử lý{delimiter}\"hai\r\ndòng\"\r\n"
    path = tmp_path / "export.csv"
    # Windows-1258 writes Vietnamese with combining tone marks (decomposed form).
    path.write_bytes(to_cp1258(text) if encoding == "cp1258" else text.encode(encoding))
    opened = readers.open_file(path)
    assert [nfc(h) for h in opened.headers] == ["Mã hồ sơ", "Trạng thái", "Ghi chú"]
    records = [(n, {nfc(k): nfc(v) for k, v in r.items()}) for n, r in opened.records]
    assert records == [(1, {"Mã hồ sơ": "A1", "Trạng thái": "Đang xử lý", "Ghi chú": "hai\r\ndòng"})]


def test_readers_reject_empty_and_unknown_files(tmp_path: Path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(readers.FileRejected) as err:
        readers.open_file(empty)
    assert err.value.reason_code == "empty_file"
    other = tmp_path / "report.pdf"
    other.write_bytes(b"%PDF-1.4")
    with pytest.raises(readers.FileRejected) as err:
        readers.open_file(other)
    assert err.value.reason_code == "unsupported_format"


def test_json_array_and_json_lines_give_the_same_records(tmp_path: Path):
    records = [{"MaHoSo": "A", "TrangThaiHoSo": "2"}, {"MaHoSo": "B", "TrangThaiHoSo": "4"}]
    array = tmp_path / "a.json"
    array.write_bytes(codecs.BOM_UTF8 + json.dumps(records).encode())
    lines = tmp_path / "a.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in records) + "\n\n", encoding="utf-8")
    assert [r for _, r in readers.open_file(array).records] == records
    assert [r for _, r in readers.open_file(lines).records] == records


def test_a_broken_json_line_becomes_a_row_problem_not_a_crash(tmp_path: Path):
    lines = tmp_path / "a.jsonl"
    lines.write_text('{"MaHoSo": "A", "TrangThaiHoSo": "2"}\n{broken\n', encoding="utf-8")
    records = list(readers.open_file(lines).records)
    assert records[1][0] == 2 and readers.SHAPE_ERROR in records[1][1]
