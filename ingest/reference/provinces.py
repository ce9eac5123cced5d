"""Vietnam's two province lists and the province name resolver (DOMAIN.md §2–3).

List '2004' holds the 63 provinces in force until 2025-06-30, list '2025' the 34 in force from
2025-07-01. A GSO code means something only together with its list (code 15 was Yên Bái and
is now Lào Cai). The dbt seed `provinces.csv` holds both lists, generated from the crosswalk by
`write_province_seed`; the seed `province_aliases.csv` holds the published spellings that folding
alone does not reach ("Tp.HCM", "BRVT", "Bắc Cạn", "Thừa Thiên - Huế"). Python reads the seeds
themselves (dbt_project/seeds/): each reference file exists once.

Names are compared by `name_key`: case, diacritics, spacing, punctuation and leading unit
prefixes ("Tỉnh", "Thành phố", "TP.", "TT.", "T.") do not matter. dbt computes the same key
with the macro `province_name_key` (dbt_project/macros/fold_name.sql) and builds the same
lookup as `intermediate.int_province_names`: change the rule in both places together
(tests/warehouse/test_reference_dbt.py checks that they agree).

An unknown name, or one that fits more than one province, raises with the nearest
candidates; the resolver never guesses.
"""

from __future__ import annotations

import csv
import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ingest.settings import SEEDS_DIR
from ingest.text import fold

REFERENCE_DIR = SEEDS_DIR
PROVINCES_FILE = REFERENCE_DIR / "provinces.csv"
ALIASES_FILE = REFERENCE_DIR / "province_aliases.csv"
CROSSWALK_FILE = REFERENCE_DIR / "province_crosswalk_2025.csv"

LIST_2004 = "2004"
LIST_2025 = "2025"
LIST_VERSIONS = (LIST_2004, LIST_2025)
LIST_DESCRIPTIONS = {LIST_2004: "the 63-province list '2004'", LIST_2025: "the 34-province list '2025'"}
# The 34-province list is in force from this day (Decision 19/2025/QĐ-TTg).
REORGANISATION_DAY = date(2025, 7, 1)
# valid_from of the 63-province list. Strictly the list of 63 dates from 2008-08-01 (Hà Tây,
# code 28, merged into Hà Nội); the warehouse holds nothing older, so it opens with the list's name.
LIST_2004_VALID_FROM = date(2004, 1, 1)

SEED_HEADER = ("gso_code", "list_version", "province_name", "official_name", "valid_from", "valid_to")
ALIAS_HEADER = ("alias", "gso_code", "list_version", "seen_in")
CROSSWALK_COLUMNS = ("old_code", "old_name", "new_code", "new_name")

# Official names start with the unit type: "Tỉnh" (province) or "Thành phố" (centrally governed city).
PROVINCE_PREFIX = "Tỉnh "
CITY_PREFIX = "Thành phố "
# Words dropped from the front of a name (folded, one space between words) before comparing:
# tỉnh, thành phố, TP., TT., T., repeated or not ("Tỉnh TT. Huế" -> "hue"). Keep equal to the
# regular expression in the macro province_name_key.
_LEADING_PREFIX_WORDS = re.compile(r"^((tinh|thanh pho|tp|tt|t) )+")
_SPACE_RUN = re.compile(r" +")
# The crosswalk notes a rename inside a name: "Thành phố Huế (Thừa Thiên Huế until 2024)".
_TRAILING_NOTE = re.compile(r"\s*\([^)]*\)\s*$")
NEAREST_CANDIDATES = 5
NEAREST_CUTOFF = 0.6


@dataclass(frozen=True, order=True)
class Province:
    gso_code: str
    list_version: str
    name: str

    def __str__(self) -> str:
        return f"{self.name} ({self.gso_code}, list {self.list_version})"


class ProvinceLookupError(LookupError):
    """A name that does not resolve to exactly one province. `candidates` are the nearest
    provinces (not found) or every province it fits (ambiguous)."""

    def __init__(self, message: str, name: str, candidates: tuple[Province, ...]):
        super().__init__(message)
        self.name = name
        self.candidates = candidates


class ProvinceNotFound(ProvinceLookupError):
    """No province on the list(s) searched has this name or a known variant of it."""


class AmbiguousProvince(ProvinceLookupError):
    """The name fits more than one province: only when no list was chosen and the name exists
    on both lists (e.g. "Lào Cai" is 10 on the 2004 list and 15 on the 2025 list)."""


def spaced_fold(text: str) -> str:
    """ingest.text.fold, except that each run of characters folding to nothing becomes one
    space (trimmed): "Tp. Hồ Chí Minh" -> "tp ho chi minh". Combining marks belong to the
    letter before them and never break a word.

    spaced_fold(text).replace(" ", "") == fold(text); the SQL macro fold_name_words is the
    same function.
    """
    pieces: list[str] = []
    for char in text:
        folded = fold(char)
        if folded:
            pieces.append(folded)
        elif not unicodedata.combining(char):
            pieces.append(" ")
    return _SPACE_RUN.sub(" ", "".join(pieces)).strip(" ")


def name_key(name: str) -> str:
    """The key province names are compared by: folded, leading unit prefixes dropped.

    "TP. Hồ Chí Minh", "Thành phố Hồ Chí Minh" and "ho chi minh" give "hochiminh";
    "TT- Huế" and "Huế" give "hue". The SQL macro province_name_key computes the same key.
    """
    return _LEADING_PREFIX_WORDS.sub("", spaced_fold(name) + " ").replace(" ", "")


def list_version_on(day: date) -> str:
    """The province list in force on `day`: '2004' before 2025-07-01, '2025' from then on."""
    if isinstance(day, datetime):
        day = day.date()
    return LIST_2004 if day < REORGANISATION_DAY else LIST_2025


# -- the reference tables ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lookup:
    provinces: dict[tuple[str, str], Province]
    # (name key, list version) -> the one province it names on that list
    by_key: dict[tuple[str, str], Province]


def _read_csv(path: Path, columns: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) of a UTF-8 CSV that must have at least `columns`."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)} (header {reader.fieldnames})")
        return [(line, row) for line, row in enumerate(reader, start=2)]


@functools.cache
def _lookup() -> _Lookup:
    provinces: dict[tuple[str, str], Province] = {}
    by_key: dict[tuple[str, str], Province] = {}
    origin: dict[tuple[str, str], str] = {}

    def add(key: str, province: Province, where: str) -> None:
        if not key:
            raise ValueError(f"{where}: the name folds to nothing")
        known = by_key.setdefault((key, province.list_version), province)
        if known != province:
            raise ValueError(
                f"{where}: '{key}' would name {province}, but {origin[(key, province.list_version)]}"
                f" already gives it to {known}"
            )
        origin.setdefault((key, province.list_version), where)

    for line, row in _read_csv(PROVINCES_FILE, SEED_HEADER):
        province = Province(row["gso_code"], row["list_version"], row["province_name"])
        if province.list_version not in LIST_VERSIONS:
            raise ValueError(f"{PROVINCES_FILE}, line {line}: unknown list_version {province.list_version!r}")
        provinces[(province.gso_code, province.list_version)] = province
        for name in (row["province_name"], row["official_name"]):
            add(name_key(name), province, f"{PROVINCES_FILE.name}, line {line}")

    for line, row in _read_csv(ALIASES_FILE, ALIAS_HEADER):
        where = f"{ALIASES_FILE.name}, line {line}"
        province = provinces.get((row["gso_code"], row["list_version"]))
        if province is None:
            raise ValueError(f"{where}: no province {row['gso_code']} on list {row['list_version']!r}")
        add(name_key(row["alias"]), province, where)
    return _Lookup(provinces, by_key)


def provinces(list_version: str | None = None) -> tuple[Province, ...]:
    """Every province of one list (or of both), sorted by list version and code."""
    if list_version is not None:
        _check_list_version(list_version)
    return tuple(sorted(
        (p for p in _lookup().provinces.values() if list_version in (None, p.list_version)),
        key=lambda p: (p.list_version, p.gso_code),
    ))


def province(gso_code: str, list_version: str) -> Province:
    """The province with this code on this list; ProvinceNotFound when the list has no such code."""
    _check_list_version(list_version)
    found = _lookup().provinces.get((gso_code, list_version))
    if found is None:
        raise ProvinceNotFound(
            f"GSO code {gso_code!r} is not on {LIST_DESCRIPTIONS[list_version]}", gso_code, ()
        )
    return found


def name_keys() -> dict[tuple[str, str], Province]:
    """(name key, list version) -> province: every name and variant the resolver knows."""
    return dict(_lookup().by_key)


def resolve(name: str, on: date | None = None, list_version: str | None = None) -> Province:
    """The province `name` denotes on the list in force on `on` (or on `list_version`).

    `on` is the edition or receipt date: before 2025-07-01 the 63-province list '2004', from
    then on the 34-province list '2025'. Without either, both lists are searched and a name
    found on both (with different codes or not) is ambiguous. Raises ProvinceNotFound (with
    the nearest names of the list) or AmbiguousProvince; ValueError when `on` and
    `list_version` disagree.
    """
    if not isinstance(name, str):
        raise TypeError(f"province name must be a str, got {type(name).__name__}")
    versions = _versions(on, list_version)
    lookup = _lookup()
    key = name_key(name)
    found = sorted({lookup.by_key[(key, v)] for v in versions if (key, v) in lookup.by_key})
    if len(found) == 1:
        return found[0]
    if found:
        raise AmbiguousProvince(
            f"province name {name!r} fits {', '.join(map(str, found))}; pass on= (the edition or "
            "receipt date) or list_version= to choose the list",
            name, tuple(found),
        )
    lists = " or ".join(LIST_DESCRIPTIONS[v] for v in versions)
    if not key:
        raise ProvinceNotFound(
            f"province name {name!r} is empty once unit prefixes, spacing and punctuation are dropped", name, ()
        )
    nearest = _nearest(key, versions)
    message = f"province name {name!r} (key {key!r}) is not on {lists}"
    message += f"; nearest: {', '.join(map(str, nearest))}" if nearest else "; no similar name on it"
    elsewhere = sorted(p for (k, v), p in lookup.by_key.items() if k == key and v not in versions)
    if elsewhere:
        message += f". It is on the other list as {', '.join(map(str, elsewhere))}: check the date or list_version"
    else:
        message += (
            ". If it is a published spelling, add it to dbt_project/seeds/province_aliases.csv"
        )
    raise ProvinceNotFound(message, name, tuple(nearest))


def _check_list_version(list_version: str) -> None:
    if list_version not in LIST_VERSIONS:
        raise ValueError(f"list_version must be one of {LIST_VERSIONS}, got {list_version!r}")


def _versions(on: date | None, list_version: str | None) -> tuple[str, ...]:
    if list_version is not None:
        _check_list_version(list_version)
    if on is None:
        return (list_version,) if list_version is not None else LIST_VERSIONS
    in_force = list_version_on(on)
    if list_version is not None and list_version != in_force:
        raise ValueError(
            f"list_version {list_version!r} is not the list in force on {on.isoformat()} ({in_force!r}); "
            "pass one of them"
        )
    return (in_force,)


def _nearest(key: str, versions: Iterable[str]) -> list[Province]:
    candidates = {k: p for (k, v), p in _lookup().by_key.items() if v in versions}
    nearest: list[Province] = []
    for match in difflib.get_close_matches(key, candidates, n=len(candidates), cutoff=NEAREST_CUTOFF):
        if candidates[match] not in nearest:
            nearest.append(candidates[match])
        if len(nearest) == NEAREST_CANDIDATES:
            break
    return nearest


# -- the province seed, generated from the crosswalk ---------------------------------------------


def official_and_short_name(name: str) -> tuple[str, str]:
    """("Tỉnh Yên Bái", "Yên Bái") from "Tỉnh Yên Bái" or "Yên Bái" (a 2025 name without its
    "Tỉnh"); "Thành phố" names keep their prefix as the official name."""
    name = _TRAILING_NOTE.sub("", name).strip()
    for prefix in (PROVINCE_PREFIX, CITY_PREFIX):
        if name.startswith(prefix):
            return name, name.removeprefix(prefix)
    return PROVINCE_PREFIX + name, name


def province_seed_rows(crosswalk_path: Path = CROSSWALK_FILE) -> list[tuple[str, ...]]:
    """Rows of provinces.csv (SEED_HEADER order): the 63 old provinces from the crosswalk's
    old_code/old_name, the 34 new ones from its distinct new_code/new_name."""
    rows: dict[tuple[str, str], tuple[str, ...]] = {}
    last_2004_day = date.fromordinal(REORGANISATION_DAY.toordinal() - 1).isoformat()
    for line, row in _read_csv(crosswalk_path, CROSSWALK_COLUMNS):
        for code, raw_name, version, valid_from, valid_to in (
            (row["old_code"], row["old_name"], LIST_2004, LIST_2004_VALID_FROM.isoformat(), last_2004_day),
            (row["new_code"], row["new_name"], LIST_2025, REORGANISATION_DAY.isoformat(), ""),
        ):
            official, short = official_and_short_name(raw_name)
            entry = (code, version, short, official, valid_from, valid_to)
            if rows.setdefault((version, code), entry) != entry:
                raise ValueError(
                    f"{crosswalk_path}, line {line}: code {code} on list {version} is named both "
                    f"{rows[(version, code)][3]!r} and {official!r}"
                )
    return [rows[key] for key in sorted(rows)]


def write_province_seed(path: Path, crosswalk_path: Path = CROSSWALK_FILE) -> Path:
    """Write provinces.csv (header SEED_HEADER, sorted by list version and code)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SEED_HEADER)
        writer.writerows(province_seed_rows(crosswalk_path))
    return path
