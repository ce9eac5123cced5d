"""The loader's fast paths answer exactly as the reference code does.

CSV rows go through csv_fast_path.compile_rows (fused, remembered per-column conversions); every
other record through RecordMapper.map. Timestamps go through TimestampParser (sliced, cached)
instead of strptime; personal data through PrecomputedHasher instead of ingest.landing.pii.Hasher.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.errors import RowRejection
from ingest.landing import csv_fast_path, profiles
from ingest.landing.pii import Hasher
from ingest.landing.readers import row_as_record
from ingest.landing.records import PrecomputedHasher, RecordMapper
from ingest.landing.timestamps import TimestampParser, parse_timestamp
from tests.unit.landing.test_ingest_unit import PROVINCIAL_HEADER, provincial_row

HEADERS = PROVINCIAL_HEADER.split(",")
CELLS = st.text(max_size=25) | st.sampled_from([
    "20250304083000", "20251304083000", "2025-03-04", "working_days", "ngày làm việc", "giờ", "tuần", "0", "1",
    "", " ", "Đang xử lý", "Đã trả kết quả", "Không rõ", "31/02/2025 08:00", "04/03/2025 08:30", "4/3/2025 8:30",
    "04/03/2025 08:30:15", "29/02/2024 23:59", "01/01/1989 00:00", "05/03/2025", "-1", "1e999999", "NaN",
    "50,000", "٣", "00", "79", "H-1", "H-2", "04/03/2025 09:00; 04/03/2025 11:00", "x; 04/03/2025 09:00",
    "Trực tuyến", "Bồ câu", "Có", "Không", "Cổng tỉnh", " Toàn trình ", "Mức độ 3",
    "H\u200b-1", "\ufeffĐã trả kết quả", "04/03/2025\u2060 08:30", "Nguyễn\u00ad Văn", "\u200b"])
SETTINGS = settings(deadline=None, max_examples=600, suppress_health_check=list(HealthCheck))


def outcome(call):
    try:
        values, events = call()
    except RowRejection as exc:
        return "rejected", exc.reason_code, exc.reason
    return "loaded", values, events


NATIONAL = {"MaTinh": "79", "MaHoSo": "N-1", "MaTTHC": "1.001612", "TrangThaiHoSo": "10", "KenhThucHien": "2",
            "MucDo": "4", "NgayTiepNhan": "20250304083000", "NgayHenTra": "20250306170000",
            "NgayKetThucXuLy": "20250305100000", "DuocThanhToanTrucTuyen": "1", "LePhi": "50000",
            "HoSoCoThanhPhanSoHoa": "1", "CoKetQuaDienTu": "0", "SoLanBoSung": "1", "ChuHoSo": "Vũ Thị Mẫu",
            "SoGiayToChuHoSo": "001099012345"}
CATALOGUE = {"procedure_code": "1.001612", "procedure_name": "Đăng ký khai sinh", "field_name": "Hộ tịch",
             "statutory_limit_value": "3", "statutory_limit_unit": "working_days", "online_level": "full_online",
             "has_fee": "1"}
LAYOUTS = {
    "provincial_csv": (HEADERS, lambda code: provincial_row(**{"Mã hồ sơ": code}), "Mã hồ sơ"),
    "dvcqg_csv": (list(NATIONAL), lambda code: {**NATIONAL, "MaHoSo": code}, "MaHoSo"),
    "procedure_catalogue": (list(CATALOGUE), lambda code: {**CATALOGUE, "procedure_code": code}, "procedure_code"),
}


@st.composite
def files(draw) -> tuple[str, list[str], list[list[str]], str | None]:
    profile_name = draw(st.sampled_from(sorted(LAYOUTS)))
    all_headers, base_row, _ = LAYOUTS[profile_name]
    headers = list(all_headers)
    if draw(st.booleans()):
        headers.remove(draw(st.sampled_from(all_headers)))   # a column the export lacks
    rows = []
    for n in range(draw(st.integers(1, 8))):
        base = base_row(draw(st.sampled_from(["H-1", "H-2", f"H-{n}", f"H-{n}"])))
        row = [base.get(h, "") for h in headers]
        for index in draw(st.lists(st.integers(0, len(headers) - 1), max_size=6)):
            row[index] = draw(CELLS)
        if draw(st.integers(0, 20)) == 0:
            row = row[:-1]                                # a short row
        rows.append(row)
    return profile_name, headers, rows, draw(st.sampled_from([None, "1", "79", "abc"]))


@SETTINGS
@given(files())
def test_compiled_rows_match_the_reference_mapping(delivery):
    profile_name, headers, rows, province = delivery
    profile = profiles.get_profile(profile_name)
    hasher = PrecomputedHasher(b"fast-path")
    fast = csv_fast_path.compile_rows(RecordMapper(profile, hasher, province, profile.header_map(headers)), headers)
    reference = RecordMapper(profile, Hasher(b"fast-path"), province, profile.header_map(headers))
    for row in rows:
        expected = outcome(lambda row=row: (lambda m: (["" if v is None else v for v in m.row], m.events))(
            reference.map(row_as_record(headers, row))))
        assert outcome(lambda row=row: fast(row)) == expected


FORMATS = [["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y"], ["%Y%m%d%H%M%S", "%Y%m%d%H%M", "%Y%m%d"],
           ["%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "excel_serial"], ["%H:%M %d/%m/%Y", "%d/%m/%Y"]]
STAMPS = st.sampled_from(["04/03/2025 08:30", "20250304083000", "2025-03-04 08:30:00", "45720.354166",
                          "08:30 04/03/2025", "31/02/2025 08:00", "29/02/2024 23:59", "04/03/1900 08:00",
                          "04/03/2025 24:00"])


@settings(deadline=None, max_examples=2000)
@given(st.sampled_from(FORMATS), STAMPS, st.lists(st.tuples(st.integers(0, 20), st.sampled_from("0123456789/: -.٣\t")),
                                                  max_size=3))
def test_sliced_timestamps_match_strptime(formats, stamp, edits):
    text = list(stamp)
    for at, ch in edits:
        text[at % len(text)] = ch
    value = "".join(text)
    parser = TimestampParser(formats)

    def run(call):
        try:
            return call()
        except RowRejection as exc:
            return exc.reason_code

    expected = run(lambda: parse_timestamp(value, formats, "c"))
    assert run(lambda: parser(value, "c")) == expected
    assert run(lambda: parser(value, "c")) == expected           # again, from the caches
    # The column converter trims first, as the mapper does; an empty cell is "" (NULL).
    trimmed = value.strip()
    expected = run(lambda: parse_timestamp(trimmed, formats, "c")) if trimmed else ""
    converted = parser.converter("c", lambda v: v.strip() or None, "REJECTED")(value)
    assert converted == (expected if expected not in ("unparseable_date", "implausible_date") else "REJECTED")


@given(st.binary(max_size=100), st.one_of(st.none(), st.text(max_size=30)))
def test_precomputed_hmac_equals_the_pii_hasher(key, value):
    assert PrecomputedHasher(key)(value) == Hasher(key)(value)
