"""The province lists and the province name resolver (ingest/reference/provinces.py): the seed generated
from the GSO crosswalk, the published variants, the list chosen by date, never guessing, and
every province name in the real PCI and PAPI workbooks."""

from __future__ import annotations

import csv
import string
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.reference import provinces
from ingest.reference.provinces import AmbiguousProvince, Province, ProvinceNotFound, resolve
from ingest.settings import paths
from ingest.text import fold
from tests.support import province_workbooks as workbooks

SEEDS = paths().dbt_project / "seeds"


def _crosswalk() -> list[dict[str, str]]:
    with provinces.CROSSWALK_FILE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# -- the lists -----------------------------------------------------------------------------------


def test_committed_province_seed_is_generated_from_the_crosswalk(tmp_path):
    regenerated = provinces.write_province_seed(tmp_path / "provinces.csv", provinces.CROSSWALK_FILE)
    assert provinces.PROVINCES_FILE.read_bytes() == regenerated.read_bytes(), (
        "dbt_project/seeds/provinces.csv is stale: regenerate it with ingest.reference.provinces.write_province_seed"
    )


def test_python_reads_the_dbt_seeds_themselves():
    # One copy of each reference file: the province lists Python resolves against are the seeds dbt loads.
    for path in (provinces.PROVINCES_FILE, provinces.ALIASES_FILE, provinces.CROSSWALK_FILE):
        assert path.parent == SEEDS and path.is_file()


def test_the_lists_have_63_and_34_provinces_named_as_in_the_crosswalk():
    old, new = provinces.provinces("2004"), provinces.provinces("2025")
    assert len(old) == 63 and len({p.gso_code for p in old}) == 63
    assert len(new) == 34 and len({p.gso_code for p in new}) == 34
    crosswalk = _crosswalk()
    assert {p.gso_code for p in old} == {row["old_code"] for row in crosswalk}
    assert {p.gso_code for p in new} == {row["new_code"] for row in crosswalk}
    for row in crosswalk:
        # The crosswalk's 2025 names drop "Tỉnh"; its old names carry it (and one carries a note).
        assert provinces.province(row["new_code"], "2025").name == provinces.official_and_short_name(row["new_name"])[1]
        assert provinces.province(row["old_code"], "2004").name in row["old_name"]


def test_ha_tay_is_on_the_2004_list_until_it_merged_into_ha_noi():
    before, after = (date(2008, 1, 1), date(2008, 7, 31)), (date(2008, 8, 1), date(2008, 12, 31))
    assert len(provinces.provinces("2004", during=before)) == 64
    assert len(provinces.provinces("2004", during=after)) == 63
    assert len(provinces.provinces("2004", during=(date(2008, 1, 1), date(2008, 12, 31)))) == 64  # any day counts
    ha_tay = provinces.province("28", "2004")
    assert (ha_tay.name, ha_tay.valid_from, ha_tay.valid_to) == ("Hà Tây", date(2004, 1, 1), date(2008, 7, 31))
    assert ha_tay not in provinces.provinces("2004")   # the list as it stood at its end: 63
    assert resolve("Ha Tay", on=date(2007, 6, 1)) == ha_tay
    assert resolve("TỈNH HÀ TÂY", list_version="2004") == ha_tay
    with pytest.raises(ProvinceNotFound, match=r"merged into Hà Nội \(01, list 2004\) on 2008-08-01"):
        resolve("Hà Tây", on=date(2016, 4, 1))
    with pytest.raises(ProvinceNotFound):
        resolve("Hà Tây", on=date(2025, 7, 1))        # not on the 2025 list at all
    assert resolve("Hà Nội", on=date(2007, 6, 1)).gso_code == "01"


def test_seed_rows_refuse_territory_changes_that_contradict_the_crosswalk(tmp_path):
    header = ",".join(provinces.CHANGE_COLUMNS) + "\n"
    cases = {
        "28,2004,Tỉnh Hà Tây,2008-08-01,merged,99\n": "no province 99",
        "01,2004,Thành phố Hà Nội,2008-08-01,merged,28\n": "no province 28",
        "26,2004,Tỉnh Vĩnh Yên,2008-08-01,ceded_part,01\n": "not the name of code 26",
        "28,2004,Tỉnh Hà Tây,2008-08-01,split,01\n": "change must be",
        "79,2004,Thành phố Hồ Chí Minh,2008-08-01,merged,01\n": "also in province_crosswalk_2025.csv",
    }
    for row, message in cases.items():
        changes = tmp_path / "changes.csv"
        changes.write_text(header + row, encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            provinces.province_seed_rows(provinces.CROSSWALK_FILE, changes)


def test_every_old_code_maps_to_one_new_province_and_every_new_one_has_constituents():
    crosswalk = _crosswalk()
    old_codes = [row["old_code"] for row in crosswalk]
    assert len(old_codes) == len(set(old_codes)) == 63
    constituents = {p.gso_code: [r["old_code"] for r in crosswalk if r["new_code"] == p.gso_code]
                    for p in provinces.provinces("2025")}
    assert all(constituents.values()), [code for code, members in constituents.items() if not members]
    assert {row["new_code"] for row in crosswalk} <= set(constituents)


def test_codes_naming_another_province_after_the_merger_are_the_ones_the_crosswalk_flags():
    renamed = {
        p.gso_code for p in provinces.provinces("2004")
        if any(q.gso_code == p.gso_code and fold(q.name) != fold(p.name) for q in provinces.provinces("2025"))
    }
    flagged = {row["old_code"] for row in _crosswalk() if row["new_name_differs_from_old_name_of_code"] == "yes"}
    assert renamed == flagged == {"15", "24", "44", "52", "80", "82", "91"}  # DOMAIN.md §3


# -- folding -------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_spaced_fold_is_fold_with_word_breaks(text):
    spaced = provinces.spaced_fold(text)
    assert spaced.replace(" ", "") == fold(text)
    assert spaced == spaced.strip(" ") and "  " not in spaced


def test_name_key_drops_unit_prefixes_only_as_whole_leading_words():
    assert provinces.name_key("Thành phố Hồ Chí Minh") == provinces.name_key("TP. Hồ Chí Minh") == "hochiminh"
    assert provinces.name_key("Tỉnh TT. Huế") == provinces.name_key("TT- Huế") == "hue"
    assert provinces.name_key("Tây Ninh") == "tayninh"          # "T" only as a word of its own
    assert provinces.name_key("Thanh Hóa") == "thanhhoa"        # "Thanh" is not "Thành phố"
    assert provinces.name_key("TPHCM") == "tphcm"               # no word break: nothing dropped
    assert provinces.name_key("Tỉnh") == provinces.name_key(" TP. ") == ""  # a prefix alone names nothing


# -- resolving -----------------------------------------------------------------------------------

# Published variants (issue 4 and DOMAIN.md §2) and the official name they stand for, on the 2004 list.
VARIANTS_2004 = {
    "Tp.HCM": "Thành phố Hồ Chí Minh", "TP HCM": "Thành phố Hồ Chí Minh", "HCM": "Thành phố Hồ Chí Minh",
    "Hồ Chí Minh": "Thành phố Hồ Chí Minh", "TP. Hồ Chí Minh": "Thành phố Hồ Chí Minh",
    "TT.Huế": "Thành phố Huế", "TT- Huế": "Thành phố Huế", "Thừa Thiên Huế": "Thành phố Huế",
    "Thừa Thiên - Huế": "Thành phố Huế", "Huế": "Thành phố Huế",
    "Đăk Lăk": "Tỉnh Đắk Lắk", "Đắc Lắc": "Tỉnh Đắk Lắk", "Dak Lak": "Tỉnh Đắk Lắk",
    "Bắc Cạn": "Tỉnh Bắc Kạn", "BRVT": "Tỉnh Bà Rịa - Vũng Tàu", "Bà Rịa-Vũng Tàu": "Tỉnh Bà Rịa - Vũng Tàu",
    "Đăk Nông": "Tỉnh Đắk Nông", "Kon Tum": "Tỉnh Kon Tum", "Kontum": "Tỉnh Kon Tum",
    "Quang Tri": "Tỉnh Quảng Trị", "quảng   trị.": "Tỉnh Quảng Trị", "THANH HOÁ": "Tỉnh Thanh Hóa",
}


@pytest.mark.parametrize(("variant", "official"), VARIANTS_2004.items())
def test_published_variants_resolve_to_the_province_of_the_official_name(variant, official):
    assert resolve(variant, list_version="2004") == resolve(official, list_version="2004")


def test_variants_of_the_same_province_give_the_expected_codes():
    assert resolve("Tp.HCM", on=date(2017, 4, 1)) == Province("79", "2004", "Hồ Chí Minh")
    assert resolve("TT- Huế", on=date(2016, 1, 1)).gso_code == "46"
    assert resolve("Bắc Cạn", list_version="2004").gso_code == "06"
    assert resolve("BRVT", list_version="2004").gso_code == "77"
    assert resolve("Tp.HCM", on=date(2025, 10, 1)) == Province("79", "2025", "Hồ Chí Minh")


_PREFIXES = ("", "Tỉnh ", "tỉnh ", "Thành phố ", "TP. ", "Tp.", "TP ", "T. ")
_SEPARATORS = (" ", "  ", "-", " - ", ".", "", "\u00a0")


def _variant(name: str, upper: bool, strip_marks: bool, prefix: str, separator: str) -> str:
    words = name.split()
    if strip_marks:
        words = [folded for folded in map(provinces.spaced_fold, words) if folded]
    text = separator.join(words)
    return prefix + (text.upper() if upper else text)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(provinces.provinces()),
    st.booleans(), st.booleans(), st.sampled_from(_PREFIXES), st.sampled_from(_SEPARATORS),
)
def test_case_diacritics_spacing_punctuation_and_prefixes_do_not_matter(province, upper, strip_marks, prefix,
                                                                         separator):
    written = _variant(province.name, upper, strip_marks, prefix, separator)
    assert resolve(written, list_version=province.list_version) == province, written


def test_the_date_picks_the_list():
    assert resolve("Yên Bái", on=date(2025, 6, 30)) == Province("15", "2004", "Yên Bái")
    assert resolve("Lào Cai", on=date(2025, 6, 30)) == Province("10", "2004", "Lào Cai")
    assert resolve("Lào Cai", on=date(2025, 7, 1)) == Province("15", "2025", "Lào Cai")
    assert resolve("Lào Cai", on=datetime(2025, 7, 1, 8, 0)) == Province("15", "2025", "Lào Cai")
    assert resolve("Bắc Ninh", on=date(2025, 6, 30)).gso_code == "27"
    assert resolve("Bắc Ninh", on=date(2025, 7, 1)).gso_code == "24"
    with pytest.raises(ProvinceNotFound, match="other list as Yên Bái \\(15, list 2004\\)"):
        resolve("Yên Bái", on=date(2025, 7, 1))
    with pytest.raises(ValueError, match="not the list in force"):
        resolve("Lào Cai", on=date(2025, 7, 1), list_version="2004")
    with pytest.raises(ValueError, match="list_version must be one of"):
        resolve("Lào Cai", list_version="1976")


def test_a_name_on_both_lists_without_a_date_is_ambiguous_not_guessed():
    with pytest.raises(AmbiguousProvince) as raised:
        resolve("Lào Cai")
    assert set(raised.value.candidates) == {Province("10", "2004", "Lào Cai"), Province("15", "2025", "Lào Cai")}
    assert "pass on=" in str(raised.value)
    assert resolve("Bình Dương") == Province("74", "2004", "Bình Dương")  # only on one list


@pytest.mark.parametrize(("misspelt", "meant"), [
    ("Quang Trj", "Quảng Trị"), ("Binh Duongg", "Bình Dương"), ("Thanh Hoa Province", "Thanh Hóa"),
])
def test_an_unknown_name_raises_with_its_nearest_candidates(misspelt, meant):
    with pytest.raises(ProvinceNotFound) as raised:
        resolve(misspelt, list_version="2004")
    assert resolve(meant, list_version="2004") in raised.value.candidates
    assert meant in str(raised.value)
    assert len(raised.value.candidates) <= provinces.NEAREST_CANDIDATES


@pytest.mark.parametrize("footer", ["Điểm cao nhất", "Highest", "Thứ tự", "Tỉnh", "Thành phố", "", "  ", "999"])
def test_publication_footers_and_empty_names_are_not_provinces(footer):
    with pytest.raises(ProvinceNotFound):
        resolve(footer, list_version="2004")


def test_name_must_be_text():
    with pytest.raises(TypeError):
        resolve(None, list_version="2004")  # type: ignore[arg-type]


def test_every_alias_names_its_own_province_and_no_name_names_two():
    with provinces.ALIASES_FILE.open(encoding="utf-8", newline="") as handle:
        aliases = list(csv.DictReader(handle))
    assert aliases
    for row in aliases:
        assert resolve(row["alias"], list_version=row["list_version"]).gso_code == row["gso_code"], row


def test_reference_tables_that_contradict_themselves_are_refused(tmp_path, monkeypatch):
    clash = tmp_path / "province_aliases.csv"
    clash.write_text(",".join(provinces.ALIAS_HEADER) + "\nHà Nội,79,2004,wrong\n", encoding="utf-8")
    monkeypatch.setattr(provinces, "ALIASES_FILE", clash)
    provinces._lookup.cache_clear()
    try:
        with pytest.raises(ValueError, match="already gives it to Hà Nội"):
            provinces.resolve("Hà Nội", list_version="2004")
    finally:
        monkeypatch.undo()
        provinces._lookup.cache_clear()
    assert resolve("Hà Nội", list_version="2004").gso_code == "01"


# -- the real workbooks (acceptance) ---------------------------------------------------------------


def test_every_province_name_in_the_pci_2016_summary_resolves():
    codes_2004 = {p.gso_code for p in provinces.provinces("2004")}
    edition = date(workbooks.PCI_EDITION_YEAR + 1, 4, 1)  # published in spring of the next year
    for column, names in workbooks.pci_name_columns().items():
        resolved = [resolve(name, on=edition) for name in names]
        # Each sub-index column ranks all 63 provinces once.
        assert {p.gso_code for p in resolved} == codes_2004, column


def test_every_papi_row_resolves_in_both_languages_to_its_own_gso_code():
    rows = workbooks.papi_rows()
    assert {row.edition_year for row in rows} == set(range(2011, 2017))
    for row in rows:
        edition = date(row.edition_year + 1, 4, 1)
        assert resolve(row.name_vietnamese, on=edition).gso_code == row.gso_code, row
        assert resolve(row.name_english, on=edition).gso_code == row.gso_code, row
    for year in range(2011, 2017):
        assert {r.gso_code for r in rows if r.edition_year == year} == {p.gso_code for p in provinces.provinces("2004")}


def test_workbook_names_are_not_all_official_spellings():
    # The acceptance tests above would be weak if the workbooks only used official names.
    official = {provinces.official_and_short_name(p.name)[1] for p in provinces.provinces("2004")}
    unofficial = [name for name in workbooks.all_names() if name not in official]
    assert {"Tp.HCM", "TT.Huế", "BRVT", "Bắc Cạn", "Đăk Lăk"} <= set(unofficial)
    assert any(set(name) <= set(string.ascii_letters + " -.") for name in unofficial)  # no diacritics
