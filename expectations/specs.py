"""What each gate validates: the tables, the rows, and how offending rows are named."""

from __future__ import annotations

from dataclasses import dataclass

from expectations.errors import GateError
from expectations.result import Gate
from expectations.suites import (
    AGENCY_SCORES_SUITE,
    AGENCY_SUITE,
    BRIDGE_SUITE,
    CATALOGUE_SUITE,
    CYCLE_TIMES_SUITE,
    DATE_SUITE,
    EVENTS_SUITE,
    INDEX_DIM_SUITE,
    INDEX_SCORES_SUITE,
    INDEX_SUITE,
    MART_SUITE,
    PROCEDURE_SUITE,
    PROVINCE_SUITE,
    RAW_SUITE,
    RECONCILIATION_SUITE,
    SCORECARD_SUITE,
    SERVICE_INDEX_SUITE,
)


@dataclass(frozen=True)
class GateSpec:
    gate: Gate
    suite_name: str
    asset_name: str                   # names the batch in Data Docs
    schema: str
    table: str
    key_name: str                     # the business key sampled for failures
    index_columns: tuple[str, ...]    # columns GX returns for each unexpected row
    load_id: int | None = None        # raw gate: validate only this load's rows
    optional: bool = False            # mart gate: skipped when the table does not exist (yet)

    @property
    def batch_sql(self) -> str:
        """SQL for {batch} in the suite's SQL checks and in our key samples.

        The raw gate validates the raw table narrowed to one load by a row condition on every
        expectation. GX's SQL checks take no row condition, so their {batch} is filled with this
        load's rows before GX sees them; for the mart it is what GX would substitute itself.
        """
        if self.load_id is None:
            return f"{self.schema}.{self.table}"
        return f"(select * from {self.schema}.{self.table} where _load_id = {self.load_id}) as load_rows"


@dataclass(frozen=True)
class _RawTable:
    suite_name: str
    table: str
    key_name: str
    index_columns: tuple[str, ...]


# What a load of each source kind writes into raw, in the order its suites run. A portal export
# delivers dossiers and their events (supplements, processing steps): one gate judges both.
RAW_TABLES: dict[str, tuple[_RawTable, ...]] = {
    "portal_export": (
        _RawTable(RAW_SUITE, "portal_dossiers", "dossier_code", ("dossier_code", "_row_number")),
        _RawTable(EVENTS_SUITE, "portal_dossier_events", "dossier_code",
                  ("dossier_code", "_row_number", "event_kind", "event_seq")),
    ),
    "procedure_catalogue": (
        _RawTable(CATALOGUE_SUITE, "procedure_catalogue", "procedure_code", ("procedure_code", "_row_number")),
    ),
    # One published row becomes one raw row per component: the file row number names it.
    "index_publication": (
        _RawTable(INDEX_SUITE, "index_scores", "_row_number", ("_row_number", "unit_name", "component")),
    ),
}


def raw_specs(load_id: int, source_kind: str) -> tuple[GateSpec, ...]:
    """The raw gate of one load: one spec per raw table its source kind writes."""
    tables = RAW_TABLES.get(source_kind)
    if tables is None:
        raise GateError(
            f"load {load_id}: no raw suite for source kind {source_kind!r} (known: {', '.join(RAW_TABLES)})"
        )
    return tuple(
        GateSpec(
            gate="raw",
            suite_name=table.suite_name,
            asset_name=f"{table.table}_load_{int(load_id)}",
            schema="raw",
            table=table.table,
            key_name=table.key_name,
            index_columns=table.index_columns,
            load_id=int(load_id),
        )
        for table in tables
    )


# The mart gate's suites, in the order they run: (suite, table in marts, the key sampled for
# failures). fct_dossiers first (the gate's headline suite), then the monthly marts built from
# it, then the index and reference marts.
MART_TABLES = (
    (MART_SUITE, "fct_dossiers", "dossier_id"),
    (CYCLE_TIMES_SUITE, "fct_procedure_cycle_times", "fct_procedure_cycle_times_id"),
    (SERVICE_INDEX_SUITE, "fct_service_index", "fct_service_index_id"),
    (INDEX_SCORES_SUITE, "fct_index_scores", "fct_index_scores_id"),
    (AGENCY_SCORES_SUITE, "fct_agency_index_scores", "fct_agency_index_scores_id"),
    (SCORECARD_SUITE, "province_scorecard", "province_scorecard_id"),
    (PROVINCE_SUITE, "dim_province", "province_key"),
    (DATE_SUITE, "dim_date", "date_day"),
    (PROCEDURE_SUITE, "dim_procedure", "procedure_id"),
    (AGENCY_SUITE, "dim_agency", "agency_id"),
    (INDEX_DIM_SUITE, "dim_index", "index_code"),
    (BRIDGE_SUITE, "bridge_province_2025", "old_gso_code"),
    (RECONCILIATION_SUITE, "fct_service_index_reconciliation", "fct_service_index_reconciliation_id"),
)


def mart_specs() -> tuple[GateSpec, ...]:
    """One spec per mart of MART_TABLES. Every mart but fct_dossiers is optional: a warehouse
    holding only fct_dossiers (a partial dbt selection) is still gated on it; after a full dbt
    build every table exists."""
    return tuple(
        GateSpec(gate="mart", suite_name=suite, asset_name=table, schema="marts", table=table, key_name=key,
                 index_columns=(key,), optional=table != "fct_dossiers")
        for suite, table, key in MART_TABLES
    )
