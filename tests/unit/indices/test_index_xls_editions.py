"""Older editions of the same publishers' workbooks: Excel 97–2003 (.xls), province names written
in decomposed Unicode or without diacritics, headers in the other language. The readers must
give exactly the scores of the published .xlsx, without code changes.

The .xls files are written here from the real workbooks (xlwt), cell by cell, so each test
compares one publication in two shapes."""

from __future__ import annotations

import unicodedata

import pytest

from ingest.indices import papi, pci
from ingest.indices.model import UnresolvedProvinces
from tests.support.paths import REAL_FIXTURES
from tests.support.xls_writer import write_xls

REAL = REAL_FIXTURES


def without_diacritics(text: str) -> str:
    stripped = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "D")


def scores(editions) -> dict[tuple, tuple]:
    return {(e.period, s.province.gso_code, s.component): (None if s.value is None else round(s.value, 6),
                                                            s.rank_published)
            for e in editions for s in e.scores}


def test_pci_xls_with_decomposed_and_undiacritised_names_reads_like_the_xlsx(tmp_path):
    published = pci.read(REAL / "PCI_2016.xlsx")
    names_rewritten = []

    def older_edition(sheet: str, row: int, column: int, value: object) -> object:
        if sheet != "Summary_VN" or row == 0 or not isinstance(value, str) or column > 30:
            return value
        if row % 3 == 0:
            names_rewritten.append(value)
            return without_diacritics(value)            # "Da Nang", "Cao Bang"
        if row % 3 == 1:
            return unicodedata.normalize("NFD", value)  # decomposed, as some Excel exports write it
        return value

    xls = write_xls(REAL / "PCI_2016.xlsx", tmp_path / "PCI_2016.xls", older_edition)
    [edition] = pci.read(xls)
    assert names_rewritten, "the mutation must have touched province names"
    assert scores([edition]) == scores(published)
    totals = {s.province.name: s for s in edition.scores if s.component == "total"}
    assert round(totals["Đà Nẵng"].value, 2) == 70.00 and totals["Đà Nẵng"].rank_published == 1
    assert edition.source_sheet == "Summary_VN"


def test_pci_xls_with_english_headers_reads_the_same_sub_indices(tmp_path):
    english = {"gia nhập thị trường": "Entry Costs", "tiếp cận đất đai": "Land Access",
               "minh bạch": "Transparency", "chi phí thời gian": "Time Costs"}
    renamed = []

    def english_headers(sheet: str, row: int, column: int, value: object) -> object:
        if sheet == "Summary_VN" and row == 0 and isinstance(value, str):
            for vietnamese, header in english.items():
                if vietnamese in " ".join(unicodedata.normalize("NFC", value).split()).lower():  # headers wrap lines
                    renamed.append(value)
                    return header
        return value

    xls = write_xls(REAL / "PCI_2016.xlsx", tmp_path / "PCI_2016_en.xls", english_headers)
    [edition] = pci.read(xls)
    assert len(renamed) == len(english)
    assert scores([edition]) == scores(pci.read(REAL / "PCI_2016.xlsx"))


def test_papi_xls_every_year_sheet_without_diacritics(tmp_path):
    def older_edition(sheet: str, row: int, column: int, value: object) -> object:
        return without_diacritics(value) if isinstance(value, str) and row >= 2 else value

    xls = write_xls(REAL / "PAPI_2011-2016.xlsx", tmp_path / "PAPI_2011-2016.xls", older_edition)
    editions = papi.read(xls)
    assert sorted(e.period for e in editions) == [str(y) for y in range(2011, 2017)]
    assert scores(editions) == scores(papi.read(REAL / "PAPI_2011-2016.xlsx"))


def test_xls_with_a_name_no_reference_knows_is_rejected_with_candidates(tmp_path):
    def misspelt(sheet: str, row: int, column: int, value: object) -> object:
        return "Quang Nihn" if sheet == "Summary_VN" and value == "Quảng Ninh" and row == 1 else value

    xls = write_xls(REAL / "PCI_2016.xlsx", tmp_path / "PCI_2016_bad.xls", misspelt)
    with pytest.raises(UnresolvedProvinces) as raised:
        pci.read(xls)
    [(where, message)] = raised.value.problems
    assert "row 2" in where and "Quang Nihn" in message and "Quảng Ninh" in message
