"""The raw gate (one load's rows) and the mart gate (marts.fct_dossiers after a dbt run).

Both validate in the warehouse through a GX Postgres datasource (SQL pushdown, no rows pulled
into pandas), record every expectation outcome in audit.*, build Data Docs and return a
GateResult. The raw gate quarantines a load on any critical failure; the mart gate only reports,
its caller raises GateFailed (result.raise_for_failure()).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg

from expectations import audit
from expectations.context import GatePaths, data_docs_lock, gate_paths, gx_context
from expectations.errors import GateError
from expectations.outcomes import outcome_from_result, result_format
from expectations.result import GateResult, decide
from expectations.samples import add_column_samples, sql_sample_rows
from expectations.specs import GateSpec, mart_spec, raw_spec
from expectations.suites import SUITE_NAMES, build_suite
from ingest import warehouse

log = logging.getLogger(__name__)


def run_raw_gate(
    warehouse_url: str,
    load_id: int,
    run_id: str,
    *,
    site_dir: Path | str | None = None,
    gx_root: Path | str | None = None,
) -> GateResult:
    """Validate one load's rows; quarantine the load on any critical failure.

    Sets audit.loads.gate_outcome to 'pass' / 'warn' (status stays 'loaded') or to 'fail' with
    status 'quarantined' and error = the message. Raises GateError when the gate cannot run,
    including for a load whose status is not 'loaded'.
    """
    with warehouse.connect(warehouse_url) as conn:
        status, source_kind = audit.load_status(conn, load_id)
    if status != "loaded":
        raise GateError(
            f"load {load_id} has status {status!r}; the raw gate runs only on a committed "
            f"'loaded' load (a quarantined load stays quarantined; deliver a corrected file)"
        )
    return _run_gate(warehouse_url, raw_spec(load_id, source_kind), run_id, gate_paths(gx_root, site_dir))


def run_mart_gate(
    warehouse_url: str,
    run_id: str,
    *,
    site_dir: Path | str | None = None,
    gx_root: Path | str | None = None,
) -> GateResult:
    """Validate marts.fct_dossiers; outcome 'fail' means the caller must stop the run.

    `result.raise_for_failure()` raises GateFailed(message). Raises GateError when the gate
    cannot run (for example when the table does not exist).
    """
    return _run_gate(warehouse_url, mart_spec(), run_id, gate_paths(gx_root, site_dir))


def _run_gate(warehouse_url: str, spec: GateSpec, run_id: str, locations: GatePaths) -> GateResult:
    if not run_id:
        raise GateError("run_id is required: pass the Airflow run id (or the CLI's run id)")
    with warehouse.connect(warehouse_url, autocommit=True) as conn:
        validation_run_id = audit.start_run(
            conn, run_id=run_id, gate=spec.gate, load_id=spec.load_id, suite_name=spec.suite_name
        )
        try:
            result = _validate(warehouse_url, conn, spec, run_id, locations)
        except Exception as exc:
            message = f"{spec.gate} gate could not run (suite {spec.suite_name}): {exc}"
            audit.record_error(conn, validation_run_id, message)
            if isinstance(exc, GateError):
                raise
            raise GateError(message) from exc
        result = replace(result, validation_run_id=validation_run_id)
        audit.record_result(conn, validation_run_id, result)
    log.info("%s", result.message())
    return result


def _validate(
    warehouse_url: str, conn: psycopg.Connection, spec: GateSpec, run_id: str, locations: GatePaths
) -> GateResult:
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.expectations.row_conditions import Column

    row_condition = Column("_load_id") == spec.load_id if spec.load_id is not None else None
    suite = build_suite(spec.suite_name, row_condition=row_condition, batch_sql=spec.batch_sql)
    with gx_context(warehouse_url, locations) as (context, datasource):
        context.suites.add(suite)
        # A table asset, not a query asset for the load: GX learns a query asset's columns by
        # running the whole query and buffering every row (a 1M-row load cost ~600 MB).
        asset = datasource.add_table_asset(name=spec.asset_name, schema_name=spec.schema, table_name=spec.table)
        batch_definition = asset.add_batch_definition_whole_table("whole")
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{spec.gate}_gate", data=batch_definition, suite=suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"{spec.gate}_gate",
                validation_definitions=[definition],
                actions=[],  # Data Docs are built below, under a lock shared with other gates
                result_format=result_format(spec.index_columns, samples=0),
            )
        )
        # An explicit run_time: GX would otherwise try to parse the run name as a date, and two
        # runs that parse alike would overwrite each other's stored result.
        gx_run_id = RunIdentifier(run_name=run_id, run_time=datetime.datetime.now(datetime.UTC))
        [(result_identifier, suite_result)] = checkpoint.run(run_id=gx_run_id).run_results.items()

        add_column_samples(batch_definition, suite_result.results, spec.index_columns)
        context.validation_results_store.set(result_identifier, suite_result)  # now with samples
        outcomes = []
        for expectation_result in suite_result.results:
            as_json = expectation_result.to_json_dict()
            sql_rows = sql_sample_rows(conn, as_json, spec.batch_sql)
            outcomes.append(outcome_from_result(as_json, spec.key_name, sql_rows))

        docs_page = _build_data_docs(context, result_identifier, locations)

    return GateResult(
        gate=spec.gate,
        outcome=decide(outcomes),
        suite_name=spec.suite_name,
        run_id=run_id,
        load_id=spec.load_id,
        key_name=spec.key_name,
        outcomes=tuple(outcomes),
        data_docs_path=docs_page,
        data_docs_index=locations.data_docs_index if locations.data_docs_index.exists() else None,
    )


def _build_data_docs(context, result_identifier, locations: GatePaths) -> Path | None:
    """Render this run's page, both suite pages (as reviewed in git) and the index.

    Returns the run page's file path, or None when rendering failed: the verdict is recorded
    either way and the log says why the page is missing.
    """
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    try:
        # The suite pages show the suites as reviewed, not this run's per-load variant.
        present = {suite.name for suite in context.suites.all()}
        for name in SUITE_NAMES:
            if name in present:
                context.suites.delete(name)
            context.suites.add(build_suite(name))
        with data_docs_lock(locations):
            context.build_data_docs(
                resource_identifiers=[result_identifier]
                + [ExpectationSuiteIdentifier(name=name) for name in SUITE_NAMES]
            )
        (site,) = context.get_docs_sites_urls(resource_identifier=result_identifier)
        return Path(unquote(urlsplit(site["site_url"]).path))
    except Exception:
        log.exception("Data Docs could not be built in %s", locations.data_docs)
        return None
