"""What the index readers produce, and the methodology reference they read it against."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass, field
from datetime import date

from ingest.indices import periods
from ingest.reference import provinces
from ingest.reference.provinces import Province, ProvinceLookupError
from ingest.settings import SEEDS_DIR

REFERENCE_DIR = SEEDS_DIR
METHODOLOGIES_FILE = REFERENCE_DIR / "index_methodologies.csv"
COMPONENTS_FILE = REFERENCE_DIR / "index_components.csv"
INDEX_CODES = ("PAR_INDEX", "SIPAS", "PAPI", "PCI", "ICT_INDEX", "DVC766")
TOTAL = "total"
# The methodology_version of an edition outside index_methodologies.csv: landed as published,
# with no scale and no formula to check against, and a gate warning (checks.py).
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Score:
    """One published number: a province's value of one component in one edition."""

    unit_name: str          # the province as published
    province: Province
    component: str          # 'total' for the composite
    value: float | None     # None: listed but not scored in this edition
    rank_published: int | None = None
    tier: str | None = None  # PCI's published tier (nhóm xếp hạng), on the 'total' row only
    source_row: int | None = None  # row in the source sheet, for error messages


@dataclass(frozen=True)
class AgencyScore:
    """One published number of a unit below the province (the 766 dashboard's departments and
    communes): its value of one component, and the province it belongs to."""

    unit_level: str         # 'department' or 'commune'
    agency_code: str        # as published (the dashboard's MA_COQUAN)
    agency_name: str
    province: Province
    component: str
    value: float | None
    rank_published: int | None = None
    source_sheet: str | None = None
    source_row: int | None = None


@dataclass(frozen=True)
class SkippedSheet:
    """A sheet of a publication that holds no scores a reader takes (a trend, a chart), and why."""

    sheet: str
    reason: str


@dataclass(frozen=True)
class Methodology:
    index_code: str
    methodology_version: str
    edition_from: int
    edition_to: int | None
    publisher: str
    unit: str
    total_scale_min: float | None   # None: unknown methodology
    total_scale_max: float | None
    composite_formula: str  # 'sum' (checked) or anything else (not checkable: warning)
    components: dict[str, tuple[float, float]]  # component -> (scale_min, scale_max)
    universe: int | None = None     # provinces ranked, when not every province of the list (PCI 2005: 42)

    def scale(self, component: str) -> tuple[float | None, float | None]:
        """The component's scale; a component the reference does not list (a PAR INDEX field
        from the template) is on the index's total scale."""
        if component == TOTAL:
            return self.total_scale_min, self.total_scale_max
        return self.components.get(component, (self.total_scale_min, self.total_scale_max))

    @property
    def is_known(self) -> bool:
        return self.methodology_version != UNKNOWN


@dataclass
class Edition:
    """One edition (yearly) or period (766) of one index, as published in one sheet."""

    index_code: str
    edition_year: int
    period: str
    list_version: str
    source_sheet: str
    methodology: Methodology
    scores: list[Score] = field(default_factory=list)
    agency_scores: list[AgencyScore] = field(default_factory=list)

    @property
    def universe(self) -> int:
        """Provinces the edition ranks: its methodology's coverage when partial, else every
        province on its list on some day of its period (64 in 2008, Hà Tây included)."""
        if self.methodology.universe is not None:
            return self.methodology.universe
        period = periods.parse(self.period)
        return len(provinces.provinces(self.list_version, during=(period.first_day, period.last_day)))


class Editions(list):
    """What a reader returns: its editions, plus the sheets it read past and why (publish records
    them in audit.skipped_sheets). A plain list of editions is a reading with nothing skipped."""

    def __init__(self, editions: list[Edition] = (), skipped_sheets: list[SkippedSheet] = ()):
        super().__init__(editions)
        self.skipped_sheets = list(skipped_sheets)


class LayoutNotFound(ValueError):
    """The file does not have the layout a reader looks for (another reader may take it)."""


class UnresolvedProvinces(ValueError):
    """Province names (or codes) of a publication that do not resolve; the load is rejected."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.problems = problems  # (where, message with the nearest candidates)
        lines = "\n".join(f"  {where}: {message}" for where, message in problems)
        super().__init__(f"{source}: {len(problems)} province name(s) do not resolve:\n{lines}")


class ProvinceResolver:
    """Resolves names against one list, collecting every failure instead of stopping at the first.
    Given the edition's period, a province not on the list during it (Hà Tây after 2008) fails too."""

    def __init__(self, list_version: str, period: str | None = None):
        self.list_version = list_version
        self.period = periods.parse(period) if period is not None else None
        self.problems: list[tuple[str, str]] = []

    def __call__(self, name: str, where: str, gso_code: str | None = None) -> Province | None:
        try:
            found = provinces.resolve(str(name), list_version=self.list_version)
        except ProvinceLookupError as error:
            self.problems.append((where, str(error)))
            return None
        if gso_code is not None and found.gso_code != gso_code:
            self.problems.append((where, f"name {name!r} is {found}, but the code given is {gso_code!r}"))
            return None
        gone = self.period and provinces.not_in_force(found, self.period.first_day, self.period.last_day)
        if gone:
            self.problems.append((where, f"name {name!r}: {gone}"))
            return None
        return found

    def raise_if_any(self, source: str) -> None:
        if self.problems:
            raise UnresolvedProvinces(source, self.problems)


def list_version_for(period_end: date) -> str:
    """An edition is read against the province list in force at the end of its period."""
    return provinces.list_version_on(period_end)


@functools.cache
def methodologies() -> tuple[Methodology, ...]:
    with COMPONENTS_FILE.open(encoding="utf-8", newline="") as handle:
        components: dict[tuple[str, str], dict[str, tuple[float, float]]] = {}
        for row in csv.DictReader(handle):
            key = (row["index_code"], row["methodology_version"])
            components.setdefault(key, {})[row["component"]] = (float(row["scale_min"]), float(row["scale_max"]))
    with METHODOLOGIES_FILE.open(encoding="utf-8", newline="") as handle:
        return tuple(
            Methodology(
                index_code=row["index_code"],
                methodology_version=row["methodology_version"],
                edition_from=int(row["edition_from"]),
                edition_to=int(row["edition_to"]) if row["edition_to"] else None,
                publisher=row["publisher"],
                unit=row["unit"],
                total_scale_min=float(row["total_scale_min"]),
                total_scale_max=float(row["total_scale_max"]),
                composite_formula=row["composite_formula"],
                components=components.get((row["index_code"], row["methodology_version"]), {}),
                universe=int(row["universe"]) if row["universe"] else None,
            )
            for row in csv.DictReader(handle)
        )


def methodology(index_code: str, edition_year: int) -> Methodology:
    """The methodology an edition was published under (index_methodologies.csv). An edition no
    row covers is not refused: its methodology is UNKNOWN (no scale, no formula to check), and
    the load checks warn that it is."""
    if index_code not in INDEX_CODES:
        raise ValueError(f"unknown index code {index_code!r}; one of {', '.join(INDEX_CODES)}")
    known = [m for m in methodologies() if m.index_code == index_code]
    for found in known:
        if found.edition_from <= edition_year <= (found.edition_to or 9999):
            return found
    publishers = {m.publisher for m in known}
    return Methodology(index_code, UNKNOWN, edition_year, edition_year,
                       publishers.pop() if len(publishers) == 1 else "", "", None, None, UNKNOWN, {})


def as_number(value: object) -> float | None:
    """A published cell as a number (decimal comma accepted), or None when it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace("\u00a0", "")
    if not text:
        return None
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None
