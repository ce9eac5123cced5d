"""A SYNTHETIC export of the Decision 766 dashboard, laid out as the real one is: one workbook for
a month with the sheets 'Điểm năm' (the 34 provinces, year to date), 'Điểm tháng' (the 34
provinces, that month), 'Sở Ban' (one province's departments), 'Xã Phường' (its communes) and
two trend sheets. Each table has title rows above the dashboard's column names (`ID, TEN_COQUAN,
MA_COQUAN, LOAI_COQUAN, CKMB, TDGQ, CLGQ, TTTT, MDSH, MDHL, TONG_SCORE, ROW_STT`); LOAI_COQUAN is 1
for a provincial People's Committee, 2 a department, 3 a commune; MA_COQUAN is the portal's agency
code (a department's and a commune's start with their province's).

Every score and every code is made up (deterministic for the seed); only the province names are
real. The demo publishes one such file (`write_demo_export`), and the tests check that every
number in it lands.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from ingest.indices.dvc766 import dashboard_columns
from ingest.indices.model import methodology
from ingest.reference.provinces import PROVINCES_FILE
from ingest.synthetic.vocabulary import AGENCY_PREFIX, DEFAULT_UNTIL, DEPARTMENTS

COLUMNS = ("ID", "TEN_COQUAN", "MA_COQUAN", "LOAI_COQUAN", "CKMB", "TDGQ", "CLGQ", "TTTT", "MDSH", "MDHL",
           "TONG_SCORE", "ROW_STT")
YEAR_SHEET, MONTH_SHEET, DEPARTMENT_SHEET, COMMUNE_SHEET = "Điểm năm", "Điểm tháng", "Sở Ban", "Xã Phường"
TREND_SHEETS = ("Diễn biến điểm năm", "Xu hướng tháng")  # a series by month; a chart's table
TITLE = "BỘ CHỈ SỐ CHỈ ĐẠO, ĐIỀU HÀNH VÀ ĐÁNH GIÁ CHẤT LƯỢNG PHỤC VỤ NGƯỜI DÂN, DOANH NGHIỆP (DỮ LIỆU MẪU - SYNTHETIC)"
DEPARTMENT_NAMES = (
    "Sở Nội vụ", "Sở Tài chính", "Sở Tư pháp", "Sở Công Thương", "Sở Xây dựng", "Sở Nông nghiệp và Môi trường",
    "Sở Khoa học và Công nghệ", "Sở Giáo dục và Đào tạo", "Sở Y tế", "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Dân tộc và Tôn giáo", "Sở Ngoại vụ", "Thanh tra tỉnh", "Văn phòng UBND tỉnh",
    "Ban Quản lý các khu công nghiệp",
)


@dataclass(frozen=True)
class Unit:
    code: str          # MA_COQUAN
    name: str          # TEN_COQUAN
    level: int         # LOAI_COQUAN
    gso_code: str      # the province the unit belongs to (2025 list)


@dataclass
class Export:
    """What was written: sheet name -> the dashboard rows of that sheet, as in the file."""

    path: Path
    year: int
    month: int
    sheets: dict[str, list[dict]] = field(default_factory=dict)

    def rows(self, sheet: str, level: int | None = None) -> list[dict]:
        return [r for r in self.sheets[sheet] if level is None or r["LOAI_COQUAN"] == level]


def committee_names() -> dict[str, str]:
    """GSO code -> People's Committee as the dashboard names it ('UBND Thành phố Hà Nội')."""
    with PROVINCES_FILE.open(encoding="utf-8", newline="") as handle:
        return {row["gso_code"]: f"UBND {row['official_name'].replace('Tỉnh ', 'tỉnh ')}"
                for row in csv.DictReader(handle) if row["list_version"] == "2025"}


def units(featured: str, codes: dict[str, str] | None = None, departments: dict[int, str] | None = None,
          communes: int = 102) -> list[Unit]:
    """The 34 People's Committees, then the departments and communes of the province `featured`.

    `codes` fixes some provinces' MA_COQUAN (the rest get H01, H02, ... unused by them);
    `departments` maps agency numbers to names (default: the 15 of DEPARTMENT_NAMES, numbered 1..15);
    communes are numbered 301, 302, ... like the synthetic dossiers' communes after 2025-07-01."""
    codes = dict(codes or {})
    free = (f"H{n:02d}" for n in range(1, 100) if f"H{n:02d}" not in codes.values())
    names = committee_names()
    result = []
    for gso_code, name in sorted(names.items()):
        codes.setdefault(gso_code, next(free))
        result.append(Unit(codes[gso_code], name, 1, gso_code))
    prefix = codes[featured]
    province = names[featured].removeprefix("UBND ")
    for number, name in (departments or dict(enumerate(DEPARTMENT_NAMES, start=1))).items():
        result.append(Unit(f"{prefix}.{number}", f"{name} - {province}", 2, featured))
    for number in range(communes):
        kind = "phường" if number % 7 == 0 else "xã"
        result.append(Unit(f"{prefix}.{301 + number}", f"UBND {kind} Mẫu {number + 1} - {province}", 3, featured))
    return result


def _scored(members: list[Unit], rng: random.Random, maxima: dict[str, float]) -> list[dict]:
    """Dashboard rows: each group a made-up share of its maximum, TONG_SCORE their sum, ROW_STT the
    competition rank of TONG_SCORE among these rows."""
    rows = []
    for unit in members:
        groups = {column: round(maximum * rng.uniform(0.35, 1.0), 2) for column, maximum in maxima.items()}
        rows.append({"ID": None, "TEN_COQUAN": unit.name, "MA_COQUAN": unit.code, "LOAI_COQUAN": unit.level,
                     **groups, "TONG_SCORE": round(sum(groups.values()), 2)})
    for row in rows:
        row["ROW_STT"] = 1 + sum(other["TONG_SCORE"] > row["TONG_SCORE"] for other in rows)
    rows.sort(key=lambda row: row["ROW_STT"])
    return rows


def _table(sheet, subtitle: str, rows: list[dict], first_id: int) -> None:
    sheet.append([TITLE])
    sheet.append([subtitle])
    sheet.append([])
    sheet.append(list(COLUMNS))
    for number, row in enumerate(rows):
        row["ID"] = first_id + number
        sheet.append([row[column] for column in COLUMNS])
    sheet.append([])
    sheet.append(["Nguồn: Cổng Dịch vụ công quốc gia (dữ liệu mẫu)"])


def write_export(path: Path, *, year: int = 2025, month: int = 10, featured: str = "01",
                 codes: dict[str, str] | None = None, departments: dict[int, str] | None = None,
                 communes: int = 102, seed: int = 766) -> Export:
    """Write the workbook; returns the rows of each scored sheet as written."""
    import openpyxl

    method = methodology("DVC766", year)
    maxima = {column: method.scale(component)[1]
              for column, component in dashboard_columns(method.methodology_version).items()}
    rng = random.Random(seed)
    everyone = units(featured, codes, departments, communes)
    committees = [u for u in everyone if u.level == 1]
    export = Export(Path(path), year, month)
    export.sheets[YEAR_SHEET] = _scored(committees, rng, maxima)
    export.sheets[MONTH_SHEET] = _scored(committees, rng, maxima)
    export.sheets[DEPARTMENT_SHEET] = _scored([u for u in everyone if u.level == 2], rng, maxima)
    export.sheets[COMMUNE_SHEET] = _scored([u for u in everyone if u.level == 3], rng, maxima)
    book = openpyxl.Workbook()
    book.remove(book.active)
    subtitles = {YEAR_SHEET: f"Điểm năm {year} (lũy kế đến hết tháng {month}/{year})",
                 MONTH_SHEET: f"Điểm tháng {month}/{year}", DEPARTMENT_SHEET: "Sở, ban, ngành",
                 COMMUNE_SHEET: "Xã, phường, đặc khu"}
    first_id = 1001
    for name, rows in export.sheets.items():
        _table(book.create_sheet(name), subtitles[name], rows, first_id)
        first_id += len(rows)
    featured_code = next(u.code for u in committees if u.gso_code == featured)
    trend = book.create_sheet(TREND_SHEETS[0])
    trend.append([f"Xu hướng điểm năm {year} theo tháng"])
    trend.append(["THANG", *COLUMNS])
    for past in range(1, month + 1):
        row = _scored([next(u for u in committees if u.gso_code == featured)], rng, maxima)[0]
        row["ID"] = first_id + past
        trend.append([past, *(row[column] for column in COLUMNS)])
    chart = book.create_sheet(TREND_SHEETS[1])
    chart.append([f"Điểm tháng của {featured_code} qua các kỳ (biểu đồ)"])
    chart.append(["Kỳ", "Điểm", "Xếp hạng"])
    for past in range(1, month + 1):
        chart.append([f"T{past}/{year}", round(rng.uniform(60, 95), 2), rng.randint(1, 34)])
    book.save(path)
    return export


def write_demo_export(folder: Path, until: date = DEFAULT_UNTIL) -> Export:
    """The demo's export: the last full month before `until` (the synthetic dossiers' last day),
    Hà Nội's departments and communes under the agency codes the synthetic dossiers carry, so
    the reconciliation sets published and computed points side by side per agency too. Named
    `dvc766_T<month>_<year>.xlsx`: the month in the name makes the department and commune sheets
    that month's."""
    month_end = until.replace(day=1) - timedelta(days=1)
    codes = {code: prefix for (code, version), prefix in AGENCY_PREFIX.items() if version == "2025"}
    seen = {number: new_name for number, _, new_name in DEPARTMENTS.values()}
    others = (name for name in DEPARTMENT_NAMES if name not in seen.values())
    departments = {**seen, **{number: next(others) for number in range(1, 12)}}
    path = Path(folder) / f"dvc766_T{month_end.month}_{month_end.year}.xlsx"
    return write_export(path, year=month_end.year, month=month_end.month, featured="01", codes=codes,
                        departments=dict(sorted(departments.items())), communes=40)
