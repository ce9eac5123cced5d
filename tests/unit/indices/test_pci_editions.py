"""The PCI reader on every edition's layout since 2005 (tests/support/pci_editions.py: SYNTHETIC
scores in the layouts of the older workbooks) and on the real 2016 workbook with its sheets in
another order: the composite, its rank and every sub-index found by what the headers mean,
each province's values exactly the file's, Hà Tây a province until 2008."""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
import pytest

from ingest.indices import pci
from ingest.indices.model import LayoutNotFound, UnresolvedProvinces
from ingest.indices.periods import PeriodError
from tests.support import pci_editions
from tests.support.paths import REAL_FIXTURES

EDITIONS = sorted(pci_editions.EDITION_LAYOUTS)


def _by_province(edition, component: str) -> dict[str, tuple[float, int | None, str | None]]:
    return {s.province.gso_code: (round(s.value, 4), s.rank_published, s.tier)
            for s in edition.scores if s.component == component}


@pytest.mark.parametrize("year", EDITIONS)
def test_every_edition_reads_as_published(tmp_path, year):
    published = pci_editions.edition(year)
    # The file name says nothing of the edition: the header, sheet or title must.
    path = pci_editions.write(published, tmp_path / f"vcci{published.suffix}")
    [edition] = pci.read(path)
    assert (edition.index_code, edition.period, edition.list_version) == ("PCI", str(year), "2004")
    assert _by_province(edition, "total") == {
        code: (round(s.composite, 4), s.rank, s.tier) for code, s in published.by_code().items()}
    for component in published.components:
        assert {code: value for code, (value, _, _) in _by_province(edition, component).items()} == {
            code: round(s.subindices[component], 4) for code, s in published.by_code().items()}, component
    assert {s.component for s in edition.scores} - set(published.components) == (
        {"total", "total_unweighted"} if published.layout.startswith("rows") else {"total"})
    has_ha_tay = "28" in _by_province(edition, "total")
    assert has_ha_tay == (year <= 2008)
    assert edition.universe == {2005: 42}.get(year, 64 if year <= 2008 else 63)
    assert edition.methodology.methodology_version == (
        "pci_2005" if year == 2005 else "pci_2006" if year <= 2012 else "pci_10_subindices")


def test_the_2005_summary_keeps_both_composites_named_as_published(tmp_path):
    published = pci_editions.edition(2005)
    [edition] = pci.read(pci_editions.write(published, tmp_path / "xep_hang.xls"))
    assert edition.source_sheet == "Xếp hạng theo chỉ số PCI"
    ha_tay = published.by_code()["28"]
    totals = {s.component: s for s in edition.scores if s.province.gso_code == "28" and s.component.startswith("total")}
    assert (totals["total"].unit_name, totals["total"].value, totals["total"].rank_published) == (
        "Hà Tây", ha_tay.composite, ha_tay.rank)
    assert totals["total_unweighted"].value == pytest.approx(ha_tay.unweighted)
    assert totals["total_unweighted"].rank_published is None   # the rank is the weighted composite's


def test_an_unweighted_composite_alone_is_not_taken_for_the_weighted_one(tmp_path):
    published = pci_editions.edition(2014, layout="rows_en", suffix=".xlsx")
    path = pci_editions.write(published, tmp_path / "unweighted.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["PCI 2014 rankings"]
    sheet.delete_cols([c.value for c in sheet[3]].index("Weighted PCI") + 1)
    book.save(path)
    [edition] = pci.read(path)
    assert "total" not in {s.component for s in edition.scores}
    assert {s.province.gso_code: (s.value, s.rank_published) for s in edition.scores
            if s.component == "total_unweighted"} == {
        code: (pytest.approx(s.unweighted), s.rank) for code, s in published.by_code().items()}


def test_the_real_2016_workbook_reads_the_same_in_any_sheet_order(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(REAL_FIXTURES / "PCI_2016.xlsx", data_only=True)
    book._sheets.reverse()   # the English summary (left from 2013) and the sub-index sheets first
    assert book.sheetnames[-1] == "Summary_VN"
    reordered = tmp_path / "workbook.xlsx"
    book.save(reordered)
    [original] = pci.read(REAL_FIXTURES / "PCI_2016.xlsx")
    [edition] = pci.read(reordered)
    assert (edition.period, edition.source_sheet) == ("2016", "Summary_VN")
    # openpyxl writes floats back with 15 significant digits: compared to 9 decimals.
    assert {(s.province.gso_code, s.component, round(s.value, 9), s.rank_published) for s in edition.scores} == {
        (s.province.gso_code, s.component, round(s.value, 9), s.rank_published) for s in original.scores}
    # Asked for 2013, the same workbook gives its English 2013 summary.
    [older] = pci.read(reordered, 2013)
    assert (older.period, older.source_sheet, len(_by_province(older, "total"))) == ("2013", "Summary", 63)


def test_ha_tay_in_an_edition_after_the_merger_is_refused(tmp_path):
    published = pci_editions.edition(2009, suffix=".xlsx")
    path = pci_editions.write(published, tmp_path / "vcci.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["Tổng hợp PCI"]
    sheet["B2"] = "Hà Tây"
    book.save(path)
    with pytest.raises(UnresolvedProvinces) as raised:
        pci.read(path)
    [(where, message)] = raised.value.problems
    assert "row 2" in where and "merged into Hà Nội (01, list 2004) on 2008-08-01" in message


def test_no_edition_year_anywhere_asks_for_one(tmp_path):
    published = pci_editions.edition(2005, suffix=".xlsx")
    path = pci_editions.write(published, tmp_path / "xep_hang.xlsx")
    book = openpyxl.load_workbook(path)
    book["Xếp hạng theo chỉ số PCI"]["A1"] = "CHỈ SỐ NĂNG LỰC CẠNH TRANH CẤP TỈNH"
    book.save(path)
    with pytest.raises(PeriodError, match="pass --edition"):
        pci.read(path)
    [edition] = pci.read(path, 2005)
    assert edition.period == "2005"


def test_a_workbook_without_a_summary_says_what_was_looked_for(tmp_path):
    path = tmp_path / "notes.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Tỉnh", "Gia nhập thị trường", "Tiếp cận đất đai"])
    book.save(path)
    with pytest.raises(LayoutNotFound, match="no sheet has a PCI summary header"):
        pci.read(Path(path))


@pytest.mark.parametrize(("header", "meaning"), [
    ("PCI 2016", "total"), ("PCI có trọng số (Điểm tối đa =100)", "total"), ("Weighted PCI", "total"),
    ("Tổng điểm PCI", "total"), ("PCI chưa có trọng số", "total_unweighted"), ("Unweighted PCI", "total_unweighted"),
    ("PCI không có trọng số", "total_unweighted"), ("Xếp hạng", "rank"), ("PCI 2013 ranking", "rank"),
    ("Nhóm\n xếp hạng", "tier"), ("PCI tier", "tier"), ("Tỉnh/Thành phố", "province"), ("Province", "province"),
    ("Gia nhập\n thị trường", "entry_costs"), ("Land Access", "land_access"), ("Bias", "equal_competition"),
    ("Ưu đãi đối với doanh nghiệp nhà nước", "equal_competition"), ("Cạnh tranh bình đẳng", "equal_competition"),
    ("Tính năng động và tiên phong của lãnh đạo tỉnh", "proactivity"), ("Dịch vụ hỗ trợ DN", "business_support"),
    ("Labor Training", "labour_training"), ("Thiết chế\n pháp lý", "legal_institutions"),
    ("PCI ID", None), ("Thứ tự", None), ("No", None), (None, None), (7.5, None),
])
def test_header_meanings(header, meaning):
    assert pci.meaning(header) == meaning
