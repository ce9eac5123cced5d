"""SYNTHETIC PCI workbooks of every edition 2005–2015, in the layouts VCCI's older workbooks use,
for the PCI reader's tests. Only the layouts, the header wording and the province names follow
the publications; every score is made up (deterministic per edition) and says nothing about any
province. The real PCI 2016 workbook (tests/fixtures/real/) stands for 2016.

Layouts:
- `rows_vi`: the 2005 summary, sheet 'Xếp hạng theo chỉ số PCI', one province per row with its
  nine sub-indices, 'PCI chưa có trọng số' and 'PCI có trọng số (Điểm tối đa =100)', the year
  only in a title row above the header, a notes sheet first; 42 provinces, Hà Tây among them.
- `rows_en`: the same with English headers ('Rank', 'Province', 'Entry Costs', ...,
  'Weighted PCI'), names without diacritics ("Ha Tay", "HCMC").
- `pairs_vi` / `pairs_en`: since 2006, each sub-index its own sorted (province, score) pair,
  then the composite 'PCI <year>' with its own province column, rank and tier; a footer
  repeats the header and gives the median province; the summary is not the first sheet.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import openpyxl

from ingest.reference import provinces
from ingest.reference.provinces import Province
from tests.support.xls_writer import write_xls

SUBINDICES_VI = {
    "entry_costs": "Chi phí gia nhập thị trường",
    "land_access": "Tiếp cận đất đai và sự ổn định trong sử dụng đất",
    "transparency": "Tính minh bạch và tiếp cận thông tin",
    "time_costs": "Chi phí thời gian để thực hiện các quy định của Nhà nước",
    "informal_charges": "Chi phí không chính thức",
    "equal_competition": "Ưu đãi đối với doanh nghiệp nhà nước",
    "proactivity": "Tính năng động và tiên phong của lãnh đạo tỉnh",
    "business_support": "Dịch vụ hỗ trợ doanh nghiệp",
    "labour_training": "Đào tạo lao động",
    "legal_institutions": "Thiết chế pháp lý",
}
SUBINDICES_EN = {
    "entry_costs": "Entry Costs",
    "land_access": "Land Access and Security of Tenure",
    "transparency": "Transparency and Access to Information",
    "time_costs": "Time Costs of Regulatory Compliance",
    "informal_charges": "Informal Charges",
    "equal_competition": "Policy Bias",
    "proactivity": "Proactivity of Provincial Leadership",
    "business_support": "Business Support Services",
    "labour_training": "Labor Training",
    "legal_institutions": "Legal Institutions",
}
# Spellings publications use that differ from the official short name.
PRINTED = {"79": "Tp.HCM", "46": "TT.Huế", "77": "BRVT", "66": "Đăk Lăk", "06": "Bắc Cạn"}
PRINTED_EN = {"79": "HCMC", "46": "TT-Hue", "77": "BRVT"}
TIERS = ((65, "Rất tốt", "Excellent"), (60, "Tốt", "Very good"), (55, "Khá", "Good"), (0, "Trung bình", "Mid-low"))
RANKED_2005 = 42   # the first edition ranked 42 provinces


@dataclass(frozen=True)
class Score:
    province: Province
    printed: str
    composite: float
    unweighted: float
    rank: int
    tier: str
    subindices: dict[str, float]


@dataclass
class PciEdition:
    year: int
    layout: str          # rows_vi, rows_en, pairs_vi, pairs_en
    suffix: str          # .xls or .xlsx
    scores: list[Score] = field(default_factory=list)

    @property
    def english(self) -> bool:
        return self.layout.endswith("_en")

    @property
    def components(self) -> tuple[str, ...]:
        # The synthetic 2005 table has nine sub-indices, as the first edition had; which nine is
        # not recorded in the methodology seed, so here simply the ten without labour training.
        names = tuple(SUBINDICES_VI)
        return tuple(c for c in names if c != "labour_training") if self.year == 2005 else names

    def by_code(self) -> dict[str, Score]:
        return {s.province.gso_code: s for s in self.scores}


EDITION_LAYOUTS = {
    2005: ("rows_vi", ".xls"), 2006: ("pairs_vi", ".xls"), 2007: ("rows_en", ".xls"), 2008: ("pairs_en", ".xlsx"),
    2009: ("pairs_vi", ".xls"), 2010: ("pairs_vi", ".xls"), 2011: ("pairs_en", ".xls"), 2012: ("pairs_vi", ".xlsx"),
    2013: ("pairs_en", ".xlsx"), 2014: ("rows_en", ".xlsx"), 2015: ("pairs_vi", ".xlsx"),
}


def _printed(province: Province, english: bool) -> str:
    if english:
        return PRINTED_EN.get(province.gso_code) or provinces.spaced_fold(province.name).title()
    return PRINTED.get(province.gso_code, province.name)


def edition(year: int, layout: str | None = None, suffix: str | None = None) -> PciEdition:
    """The SYNTHETIC edition of `year`: every province on the list during the year (64 until
    2008, Hà Tây included; 42 of them in 2005), made-up scores without ties."""
    default_layout, default_suffix = EDITION_LAYOUTS.get(year, ("pairs_vi", ".xlsx"))
    result = PciEdition(year, layout or default_layout, suffix or default_suffix)
    rng = random.Random(year)
    ranked = list(provinces.provinces("2004", during=(date(year, 1, 1), date(year, 12, 31))))
    if year == 2005:
        ha_tay = provinces.province("28", "2004")
        ranked = [ha_tay, *rng.sample([p for p in ranked if p != ha_tay], RANKED_2005 - 1)]
    composites = rng.sample(range(4500, 7500), len(ranked))   # distinct: no ties
    ordered = sorted(zip(composites, ranked, strict=True), reverse=True)
    for rank, (composite, province) in enumerate(ordered, start=1):
        subindices = {c: round(rng.uniform(2.5, 9.8), 4) for c in result.components}
        tier = next(t for t in TIERS if composite / 100 >= t[0])[2 if result.english else 1]
        result.scores.append(Score(province, _printed(province, result.english), composite / 100,
                                   round(sum(subindices.values()), 4), rank, tier, subindices))
    return result


def write(pci: PciEdition, path: Path) -> Path:
    """The edition as a workbook at `path` (.xls written through xlwt from an .xlsx)."""
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes" if pci.english else "Ghi chú"
    notes.append(["Provincial Competitiveness Index" if pci.english else "Chỉ số năng lực cạnh tranh cấp tỉnh"])
    notes.append(["SYNTHETIC test workbook: the scores are made up."])
    if pci.layout.startswith("rows"):
        _rows_sheet(book, pci)
    else:
        _pairs_sheet(book, pci)
    xlsx = path.with_suffix(".xlsx")
    book.save(xlsx)
    if pci.suffix == ".xlsx":
        return xlsx
    written = write_xls(xlsx, path.with_suffix(".xls"))
    xlsx.unlink()
    return written


def _rows_sheet(book: openpyxl.Workbook, pci: PciEdition) -> None:
    names = SUBINDICES_EN if pci.english else SUBINDICES_VI
    if pci.english:
        sheet = book.create_sheet(f"PCI {pci.year} rankings")
        sheet.append([f"Provincial Competitiveness Index {pci.year}"])
        header = ["Rank", "Province", *(names[c] for c in pci.components), "Unweighted PCI", "Weighted PCI", "Tier"]
    else:
        sheet = book.create_sheet("Xếp hạng theo chỉ số PCI")
        sheet.append([f"CHỈ SỐ NĂNG LỰC CẠNH TRANH CẤP TỈNH NĂM {pci.year}"])
        header = ["Xếp hạng", "Tỉnh/Thành phố", *(names[c] for c in pci.components), "PCI chưa có trọng số",
                  "PCI có trọng số (Điểm tối đa =100)", "Nhóm xếp hạng"]
    sheet.append([])
    sheet.append(header)
    for score in pci.scores:
        sheet.append([score.rank, score.printed, *(score.subindices[c] for c in pci.components), score.unweighted,
                      score.composite, score.tier])
    sheet.append([])
    sheet.append(["Nguồn: VCCI (SYNTHETIC)" if not pci.english else "Source: VCCI (SYNTHETIC)"])


def _pairs_sheet(book: openpyxl.Workbook, pci: PciEdition) -> None:
    names = SUBINDICES_EN if pci.english else SUBINDICES_VI
    # A sub-index sheet before the summary, as in the real workbooks: not a summary itself.
    detail = book.create_sheet(names["entry_costs"][:31])
    detail.append(["PCI ID", "Tỉnh", "Chỉ số thành phần 1", "Số ngày đăng ký doanh nghiệp"])
    for number, score in enumerate(pci.scores, start=1):
        detail.append([number, score.printed, score.subindices["entry_costs"], 10])
    sheet = book.create_sheet("Summary" if pci.english else "Tổng hợp PCI")
    rank_header, tier_header = ("Ranking", "PCI tier") if pci.english else ("Xếp hạng", "Nhóm xếp hạng")
    header = ["No" if pci.english else "Thứ tự", "Province" if pci.english else "Tỉnh"]
    for component in pci.components:
        header += [names[component], None]
    header += [f"PCI {pci.year}", rank_header, tier_header]
    # Each sub-index sorted on its own; the composite's pair ends the row.
    columns = [sorted(pci.scores, key=lambda s, c=c: -s.subindices[c]) for c in pci.components]
    sheet.append(header)
    for position, score in enumerate(pci.scores):
        row: list[object] = [position + 1]
        for component, ordered in zip(pci.components, columns, strict=True):
            row += [ordered[position].printed, ordered[position].subindices[component]]
        row += [score.printed, score.composite, score.rank, score.tier]
        sheet.append(row)
    median = pci.scores[len(pci.scores) // 2]
    sheet.append([])
    sheet.append(header)
    sheet.append([None, median.printed, *([None] * (2 * len(pci.components))), median.composite, median.rank])
