"""Validation of a landed index load, as SQL over raw.index_scores, raw.agency_index_scores and
audit.index_editions.

Critical (the load is quarantined): provinces counted per component differ from the
universe (63 or 34, 64 before 2008-08-01, or the methodology's partial coverage: PCI 2005's 42);
a province or an agency repeated; a value outside its scale; published
ranks that contradict the values (a higher value ranked below a lower one; ties may share or
split ranks; departments and communes are ranked among their own level); a composite that is
not the unweighted sum of its components where that is the formula (PAPI, 766). The agency
checks are named agency_<check>.
Warning: the composite formula is not published (PCI's weights, PAR INDEX, SIPAS, ICT Index),
so the composite cannot be checked; the edition is outside the methodology reference (seed
index_methodologies), so it landed as published with methodology 'unknown', its coverage,
scale and formula unchecked.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

# Published values are rounded; a sum of n rounded components may be off by n half-units.
COMPOSITE_TOLERANCE = 0.05

def _rows(table: str, unit_key: str, unit_name: str, ranking_group: str) -> str:
    """The load's rows of one raw table as `rows`: a unit key (a province or an agency code), the
    name as published, and the group its ranks were published within."""
    return f"""
    with rows as (
        select index_code, period, component, {unit_key} as unit_key, {unit_name} as unit_name,
               {ranking_group} as ranking_group,
               nullif(value, '')::numeric as value,
               nullif(rank_published, '')::integer as rank_published,
               scale_min::numeric as scale_min, scale_max::numeric as scale_max
        from raw.{table} where _load_id = %(load_id)s
    )
"""


_PROVINCE_ROWS = _rows("index_scores", "gso_code", "unit_name", "''")
# Departments and communes (766) are ranked among their own level.
_AGENCY_ROWS = _rows("agency_index_scores", "agency_code", "agency_name", "unit_level")

# Checks that hold for every published unit, province or agency: (severity, query on `rows`).
_UNIT_CHECKS: dict[str, tuple[str, str]] = {
    "repeated": ("critical", """
        select index_code, period, component,
               format('%%s appears %%s times (%%s)', unit_key, count(*), string_agg(unit_name, ', '))
        from rows group by index_code, period, component, unit_key having count(*) > 1
    """),
    "value_in_scale": ("critical", """
        select index_code, period, component,
               format('%%s: %%s is outside the scale %%s–%%s', unit_name, value, scale_min, scale_max)
        from rows where value < scale_min or value > scale_max
    """),
    "rank_consistent": ("critical", """
        select a.index_code, a.period, a.component,
               format('%%s (%%s) is ranked %%s, below %%s (%%s) ranked %%s',
                      a.unit_name, a.value, a.rank_published, b.unit_name, b.value, b.rank_published)
        from rows as a
        join rows as b
          on b.index_code = a.index_code and b.period = a.period and b.component = a.component
         and b.ranking_group = a.ranking_group and a.value > b.value and a.rank_published > b.rank_published
    """),
    "composite_is_sum": ("critical", """
        , sums as (
            select index_code, period, unit_key, sum(value) as component_sum, count(*) as components,
                   count(value) as components_with_value
            from rows where component <> 'total' group by index_code, period, unit_key
        )
        select t.index_code, t.period, 'total',
               format('%%s: composite %%s, sum of its %%s components %%s', t.unit_name, t.value,
                      s.components, round(s.component_sum, 4))
        from rows as t
        join sums as s using (index_code, period, unit_key)
        join audit.index_editions as e
          on e.load_id = %(load_id)s and e.index_code = t.index_code and e.period = t.period
        where t.component = 'total' and e.composite_formula = 'sum'
          and s.components = s.components_with_value and t.value is not null
          and abs(t.value - s.component_sum) > %(tolerance)s
    """),
}

CHECKS: dict[str, tuple[str, str]] = {
    "universe": ("critical", _PROVINCE_ROWS + """
        select e.index_code, e.period, r.component,
               format('%%s provinces with a %%s score, the universe (list %%s) has %%s',
                      count(distinct r.unit_key), r.component, e.list_version, e.universe)
        from audit.index_editions as e
        join rows as r on r.index_code = e.index_code and r.period = e.period
        where e.load_id = %(load_id)s and e.methodology_version <> 'unknown'
        group by e.index_code, e.period, r.component, e.list_version, e.universe
        having count(distinct r.unit_key) <> e.universe
    """),
    **{("province_repeated" if name == "repeated" else name): (severity, _PROVINCE_ROWS + query)
       for name, (severity, query) in _UNIT_CHECKS.items()},
    **{f"agency_{name}": (severity, _AGENCY_ROWS + query) for name, (severity, query) in _UNIT_CHECKS.items()},
    "composite_formula_unknown": ("warning", """
        select index_code, period, 'total',
               format('composite formula %%s is not published as a sum of the components: not checked',
                      composite_formula)
        from audit.index_editions
        where load_id = %(load_id)s and composite_formula <> 'sum' and methodology_version <> 'unknown'
    """),
    "methodology_unknown": ("warning", """
        select index_code, period, 'total',
               format('no methodology of %%s in dbt_project/seeds/index_methodologies.csv covers edition %%s:'
                      ' landed as published with methodology unknown (its coverage, scale and formula not checked)',
                      index_code, edition_year)
        from audit.index_editions where load_id = %(load_id)s and methodology_version = 'unknown'
    """),
}


@dataclass(frozen=True)
class CheckFailure:
    check: str
    severity: str  # 'critical' or 'warning'
    index_code: str
    period: str
    component: str
    message: str

    def __str__(self) -> str:
        return f"[{self.severity}] {self.check} {self.index_code} {self.period} {self.component}: {self.message}"


def check_load(conn: psycopg.Connection, load_id: int) -> list[CheckFailure]:
    """Every failed check of the load's rows (empty when all pass)."""
    failures: list[CheckFailure] = []
    for name, (severity, query) in CHECKS.items():
        for index_code, period, component, message in conn.execute(
            query, {"load_id": load_id, "tolerance": COMPOSITE_TOLERANCE}
        ):
            failures.append(CheckFailure(name, severity, index_code, period, component, message))
    return failures


def outcome(failures: list[CheckFailure]) -> str:
    """'fail' on any critical failure, 'warn' on warnings only, else 'pass'."""
    if any(f.severity == "critical" for f in failures):
        return "fail"
    return "warn" if failures else "pass"
