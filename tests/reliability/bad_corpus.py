"""The bad-input corpus: tests/fixtures/bad/ plus the large files, generated at test time.

EXPECTED.csv lists every file with what must happen to it:
- `file_rejected`: the whole load is rejected with `reason_code` (audit.loads.error starts with it);
- `rows_rejected`: the load finishes, exactly `rows_rejected` rows are rejected with the reason codes
  in `reason_code` ("a x2; b x1"), every other row loads.
`env` holds limit settings for that file only ("PARWH_MAX_ROWS=20"), `args` extra `parwh ingest`
arguments ("--province 01"); `generated` files are written
here (a 5 000-column header, a 10 MB cell, a zip bomb) so git only holds small files.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tests.unit.landing.test_ingest_unit import PROVINCIAL_HEADER, provincial_row, to_cp1258

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "bad"
MANIFEST = CORPUS / "EXPECTED.csv"


@dataclass(frozen=True)
class BadInput:
    file: str
    outcome: str                 # file_rejected | rows_rejected
    reasons: Counter             # reason code -> rows (a file rejection: {code: 0})
    rows_rejected: int
    env: dict[str, str]
    args: list[str]
    generated: bool
    why: str

    @property
    def reason_code(self) -> str:
        return next(iter(self.reasons))


def manifest() -> list[BadInput]:
    entries = []
    with MANIFEST.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            reasons: Counter = Counter()
            for part in row["reason_code"].split(";"):
                code, _, times = part.strip().partition(" x")
                reasons[code] = int(times or 0)
            env = dict(item.split("=", 1) for item in row["env"].split() if item)
            entries.append(BadInput(row["file"], row["outcome"], reasons, int(row["rows_rejected"] or 0), env,
                                    row["args"].split(), row["generated"] == "yes", row["why"]))
    return entries


def _provincial_csv(rows: list[list[str]], header: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _five_thousand_columns() -> bytes:
    header = PROVINCIAL_HEADER.split(",")
    extra = [f"Cột phụ {n}" for n in range(5000 - len(header))]
    row = list(provincial_row(**{"Mã hồ sơ": "WIDE-1"}).values())
    return _provincial_csv([row + ["x"] * len(extra)], header + extra)


def _ten_megabyte_cell() -> bytes:
    header = PROVINCIAL_HEADER.split(",")
    rows = [list(provincial_row(**{"Mã hồ sơ": "CELL-1"}).values()),
            list(provincial_row(**{"Mã hồ sơ": "CELL-2", "Ghi chú": "A" * (10 << 20)}).values())]
    return _provincial_csv(rows, header)


def _zip_bomb() -> bytes:
    """2 KiB on disk, 64 MiB expanded: over the default expansion ratio (PARWH_ZIP_MAX_RATIO=200)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("zeros.csv", "w") as member:
            block = b"0" * (1 << 20)
            for _ in range(64):
                member.write(block)
    return buffer.getvalue()


def _truncated_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(PROVINCIAL_HEADER.split(","))
    for n in range(50):
        sheet.append(list(provincial_row(**{"Mã hồ sơ": f"X-{n}"}).values()))
    buffer = io.BytesIO()
    workbook.save(buffer)
    whole = buffer.getvalue()
    return whole[: len(whole) * 2 // 3]


def _spreadsheet_dates() -> bytes:
    """A provincial report whose date cells say 1900 (a date cell, and serial 1) and 2999."""
    from datetime import datetime

    from tests.warehouse.test_formats_xlsx import data_row, write_report

    rows = [data_row(1, "XD-1"), data_row(2, "XD-2", c7=datetime(1900, 1, 1, 8, 0)), data_row(3, "XD-3", c8=1.0),
            data_row(4, "XD-4", c7=datetime(2999, 12, 31, 8, 0))]
    with tempfile.TemporaryDirectory() as folder:
        return write_report(Path(folder) / "report.xlsx", rows).read_bytes()


def _late_bad_encoding() -> bytes:
    """600 good UTF-8 rows (past the 64 KiB the reader sniffs), then one in Windows-1258: the rows
    already sent to COPY must not stay."""
    header = PROVINCIAL_HEADER.split(",")
    rows = [list(provincial_row(**{"Mã hồ sơ": f"ENC-{n}"}).values()) for n in range(600)]
    late = list(provincial_row(**{"Mã hồ sơ": "ENC-cp1258", "Tên thủ tục": "Đăng ký kết hôn"}).values())
    return _provincial_csv(rows, header) + to_cp1258(_provincial_csv([late], header).split(b"\n", 1)[1].decode())


def _report_with_sheet_xml(change) -> bytes:
    """A provincial report (200 rows) whose first sheet's XML is rewritten by change(xml)."""
    from tests.warehouse.test_formats_xlsx import data_row, write_report

    with tempfile.TemporaryDirectory() as folder:
        report = write_report(Path(folder) / "report.xlsx", [data_row(n, f"HX-{n}") for n in range(1, 201)])
        buffer = io.BytesIO()
        with zipfile.ZipFile(report) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info)
                if info.filename == "xl/worksheets/sheet1.xml":
                    data = change(data.decode("utf-8")).encode("utf-8")
                target.writestr(info, data)
    return buffer.getvalue()


def _merged_ranges_over_and_over() -> bytes:
    """5 000 merged ranges, each spanning every column (A:XFD) and the whole sheet: formerly minutes
    of work painting 16 384 columns per range."""
    import re

    def change(xml: str) -> str:
        ranges = "".join(f'<mergeCell ref="A{r}:XFD1048576"/>' for r in range(1, 5001))
        xml = re.sub(r"<mergeCells.*?</mergeCells>", "", xml, flags=re.S)
        return xml.replace("</sheetData>", f'</sheetData><mergeCells count="5000">{ranges}</mergeCells>')

    return _report_with_sheet_xml(change)


def _value_in_column_xfd() -> bytes:
    """A cell in the last column (XFD) of every data row: formerly every row 16 384 cells wide."""
    import re

    def change(xml: str) -> str:
        def widen(match: re.Match) -> str:
            number = int(match[1])
            extra = f'<c r="XFD{number}" t="inlineStr"><is><t>x</t></is></c>' if number > 8 else ""
            return match[0].replace("</row>", extra + "</row>")
        return re.sub(r'<row r="(\d+)".*?</row>', widen, xml, flags=re.S)

    return _report_with_sheet_xml(change)


def _slow_export() -> bytes:
    """20 000 good rows, read under a time budget of a millisecond."""
    header = PROVINCIAL_HEADER.split(",")
    rows = [list(provincial_row(**{"Mã hồ sơ": f"SLOW-{n}"}).values()) for n in range(20_000)]
    return _provincial_csv(rows, header)


GENERATORS = {
    "merged_ranges_over_and_over.xlsx": _merged_ranges_over_and_over,
    "value_in_column_xfd.xlsx": _value_in_column_xfd,
    "over_time_budget.csv": _slow_export,
    "late_bad_encoding.csv": _late_bad_encoding,
    "spreadsheet_dates_1900_2999.xlsx": _spreadsheet_dates,
    "five_thousand_columns.csv": _five_thousand_columns,
    "ten_megabyte_cell.csv": _ten_megabyte_cell,
    "zip_bomb.zip": _zip_bomb,
    "truncated.xlsx": _truncated_xlsx,
}


def materialise(target: Path) -> list[BadInput]:
    """Copy the committed files and write the generated ones into target; returns the manifest."""
    entries = manifest()
    target.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        if entry.generated:
            (target / entry.file).write_bytes(GENERATORS[entry.file]())
        else:
            shutil.copyfile(CORPUS / entry.file, target / entry.file)
    return entries
