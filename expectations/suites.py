"""The expectation suites, reviewed in git as GX suite JSON under expectations/suites/.

Each expectation carries meta.severity ('critical' fails the gate, 'warning' is recorded) and
meta.why (one sentence for the reviewer and for the failure message). unexpected_rows_expectation
entries also name the column they judge (meta.column) and a short rule name (meta.name).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from expectations.errors import GateError

SUITES_DIR = Path(__file__).with_name("suites")
RAW_SUITE = "raw_portal_dossiers"
EVENTS_SUITE = "raw_portal_dossier_events"
CATALOGUE_SUITE = "raw_procedure_catalogue"
INDEX_SUITE = "raw_index_scores"
MART_SUITE = "marts_fct_dossiers"
CYCLE_TIMES_SUITE = "marts_fct_procedure_cycle_times"
SERVICE_INDEX_SUITE = "marts_fct_service_index"
INDEX_SCORES_SUITE = "marts_fct_index_scores"
AGENCY_SCORES_SUITE = "marts_fct_agency_index_scores"
SCORECARD_SUITE = "marts_province_scorecard"
PROVINCE_SUITE = "marts_dim_province"
DATE_SUITE = "marts_dim_date"
PROCEDURE_SUITE = "marts_dim_procedure"
AGENCY_SUITE = "marts_dim_agency"
INDEX_DIM_SUITE = "marts_dim_index"
BRIDGE_SUITE = "marts_bridge_province_2025"
RECONCILIATION_SUITE = "marts_fct_service_index_reconciliation"
SUITE_NAMES = (
    RAW_SUITE, EVENTS_SUITE, CATALOGUE_SUITE, INDEX_SUITE, MART_SUITE, CYCLE_TIMES_SUITE, SERVICE_INDEX_SUITE,
    INDEX_SCORES_SUITE, AGENCY_SCORES_SUITE, SCORECARD_SUITE, PROVINCE_SUITE, DATE_SUITE, PROCEDURE_SUITE,
    AGENCY_SUITE, INDEX_DIM_SUITE, BRIDGE_SUITE, RECONCILIATION_SUITE,
)
SEVERITIES = ("critical", "warning")
SQL_EXPECTATION = "unexpected_rows_expectation"


def suite_path(name: str) -> Path:
    return SUITES_DIR / f"{name}.json"


def read_suite(name: str) -> dict[str, Any]:
    """The suite JSON, checked for what the gate relies on; raises GateError naming the entry."""
    path = suite_path(name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise GateError(f"cannot read expectation suite {path}: {exc}") from exc
    if data.get("name") != name:
        raise GateError(f"{path}: suite name is {data.get('name')!r}, expected {name!r}")
    for index, entry in enumerate(data.get("expectations") or []):
        meta = entry.get("meta") or {}
        where = f"{path}, expectation #{index + 1} ({entry.get('type')})"
        if meta.get("severity") not in SEVERITIES:
            raise GateError(f"{where}: meta.severity must be one of {SEVERITIES}, got {meta.get('severity')!r}")
        if not meta.get("why"):
            raise GateError(f"{where}: meta.why is missing; say why the check matters")
        if entry.get("type") == SQL_EXPECTATION and not (meta.get("name") and meta.get("column")):
            raise GateError(f"{where}: SQL expectations need meta.name and meta.column for the failure message")
    if not data.get("expectations"):
        raise GateError(f"{path}: the suite has no expectations")
    return data


def build_suite(name: str, row_condition=None, batch_sql: str | None = None):
    """A gx.ExpectationSuite from the JSON, every expectation validated.

    The raw gate narrows the whole raw table to one load: row_condition (a GX Condition such
    as Column("_load_id") == 7) goes on every expectation that takes one, and batch_sql (that
    load's rows) fills {batch} in SQL checks, which take no row condition.

    gx.ExpectationSuite(**json) logs and silently drops an expectation whose configuration is
    invalid; building each one ourselves turns a typo into an error instead of a missing check.
    """
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    data = read_suite(name)
    expectations = []
    for index, entry in enumerate(data["expectations"]):
        config = {**entry, "severity": entry["meta"]["severity"]}  # GX's own field, for Data Docs
        if entry["type"] == SQL_EXPECTATION and batch_sql is not None:
            query = entry["kwargs"]["unexpected_rows_query"].format(batch=batch_sql)
            config["kwargs"] = {**entry["kwargs"], "unexpected_rows_query": query}
        elif row_condition is not None:
            config["kwargs"] = {**entry["kwargs"], "row_condition": row_condition}
        try:
            with without_batch_hint():
                expectations.append(ExpectationConfiguration(**config).to_domain_obj())
        except Exception as exc:
            raise GateError(
                f"{suite_path(name)}, expectation #{index + 1} ({entry.get('type')}) is not valid: {exc}"
            ) from exc
    return gx.ExpectationSuite(name=name, expectations=expectations, meta=data.get("meta"))


BATCH_HINT = "unexpected_rows_query should contain the {batch} parameter"


@contextlib.contextmanager
def without_batch_hint() -> Iterator[None]:
    """Drop GX's stdout hint for SQL checks without {batch}; pass every other line through.

    GX prints it whenever it rebuilds such an expectation. Ours have {batch} filled in by the
    gate or read audit.loads on purpose, so the hint is only noise in task logs.
    """
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            yield
    finally:
        kept = [line for line in buffer.getvalue().splitlines(keepends=True) if BATCH_HINT not in line]
        sys.stdout.write("".join(kept))
