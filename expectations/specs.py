"""What each gate validates: the table, the rows, and how offending rows are named."""

from __future__ import annotations

from dataclasses import dataclass

from expectations.errors import GateError
from expectations.result import Gate
from expectations.suites import CATALOGUE_SUITE, MART_SUITE, RAW_SUITE


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


def raw_spec(load_id: int, source_kind: str = "portal_export") -> GateSpec:
    """The raw gate of one load: its suite follows what the load delivered."""
    if source_kind == "procedure_catalogue":
        return GateSpec(
            gate="raw",
            suite_name=CATALOGUE_SUITE,
            asset_name=f"procedure_catalogue_load_{int(load_id)}",
            schema="raw",
            table="procedure_catalogue",
            key_name="procedure_code",
            index_columns=("procedure_code", "_row_number"),
            load_id=int(load_id),
        )
    if source_kind != "portal_export":
        raise GateError(f"load {load_id}: no raw suite for source kind {source_kind!r}")
    return GateSpec(
        gate="raw",
        suite_name=RAW_SUITE,
        asset_name=f"portal_dossiers_load_{int(load_id)}",
        schema="raw",
        table="portal_dossiers",
        key_name="dossier_code",
        index_columns=("dossier_code", "_row_number"),
        load_id=int(load_id),
    )


def mart_spec() -> GateSpec:
    return GateSpec(
        gate="mart",
        suite_name=MART_SUITE,
        asset_name="fct_dossiers",
        schema="marts",
        table="fct_dossiers",
        key_name="dossier_id",
        index_columns=("dossier_id",),
    )
