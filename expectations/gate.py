"""The raw gate (one load's rows, one or more suites) and the mart gate (marts after a dbt run).

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
from expectations.result import GateResult, SuiteResult
from expectations.samples import add_column_samples, sql_sample_rows
from expectations.specs import GateSpec, mart_specs, raw_specs
from expectations.suites import SUITE_NAMES, build_suite, suite_path
from ingest.runtime import warehouse

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

    The suites follow the load's source kind: a portal export is judged on its dossiers and
    its events together (raw_portal_dossiers, raw_portal_dossier_events), a catalogue on
    raw_procedure_catalogue, an index publication on raw_index_scores. Each suite records its
    own audit.validation_runs row; the load's verdict is the gate's. Sets
    audit.loads.gate_outcome to 'pass' / 'warn' (status stays 'loaded') or to 'fail' with
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
    return _run_gate(warehouse_url, raw_specs(load_id, source_kind), run_id, gate_paths(gx_root, site_dir))


def run_mart_gate(
    warehouse_url: str,
    run_id: str,
    *,
    site_dir: Path | str | None = None,
    gx_root: Path | str | None = None,
) -> GateResult:
    """Validate marts.fct_dossiers and the monthly marts; outcome 'fail' means the caller must stop the run.

    `result.raise_for_failure()` raises GateFailed(message). Raises GateError when the gate
    cannot run (for example when fct_dossiers does not exist; an optional mart that does not
    exist is skipped).
    """
    with warehouse.connect(warehouse_url) as conn:
        specs = tuple(spec for spec in mart_specs() if not spec.optional or _table_exists(conn, spec))
    return _run_gate(warehouse_url, specs, run_id, gate_paths(gx_root, site_dir))


def _table_exists(conn: psycopg.Connection, spec: GateSpec) -> bool:
    found = conn.execute("select to_regclass(%s) is not null", (f"{spec.schema}.{spec.table}",)).fetchone()
    return bool(found and found[0])


def _run_gate(warehouse_url: str, specs: tuple[GateSpec, ...], run_id: str, locations: GatePaths) -> GateResult:
    if not run_id:
        raise GateError("run_id is required: pass the Airflow run id (or the CLI's run id)")
    gate, load_id = specs[0].gate, specs[0].load_id
    with warehouse.connect(warehouse_url, autocommit=True) as conn:
        validation_run_ids = [
            audit.start_run(conn, run_id=run_id, gate=gate, load_id=load_id, suite_name=spec.suite_name)
            for spec in specs
        ]
        try:
            suites = _validate(warehouse_url, conn, specs, run_id, locations)
        except Exception as exc:
            names = ", ".join(spec.suite_name for spec in specs)
            message = f"{gate} gate could not run (suites {names}): {exc}"
            for validation_run_id in validation_run_ids:
                audit.record_error(conn, validation_run_id, message)
            if isinstance(exc, GateError):
                raise
            raise GateError(message) from exc
        result = GateResult(
            gate=gate,
            run_id=run_id,
            load_id=load_id,
            suites=tuple(
                replace(suite, validation_run_id=validation_run_id)
                for suite, validation_run_id in zip(suites, validation_run_ids, strict=True)
            ),
            data_docs_index=locations.data_docs_index if locations.data_docs_index.exists() else None,
        )
        audit.record_result(conn, result)
    log.info("%s", result.message())
    return result


def _validate(
    warehouse_url: str,
    conn: psycopg.Connection,
    specs: tuple[GateSpec, ...],
    run_id: str,
    locations: GatePaths,
) -> list[SuiteResult]:
    """Run every spec's suite in one GX context, then build Data Docs once for all of them."""
    from great_expectations.core.run_identifier import RunIdentifier

    # One GX run id (name and time) for all suites of the gate: their pages sit side by side.
    # An explicit run_time: GX would otherwise try to parse the run name as a date, and two
    # runs that parse alike would overwrite each other's stored result.
    gx_run_id = RunIdentifier(run_name=run_id, run_time=datetime.datetime.now(datetime.UTC))
    validated = []
    with gx_context(warehouse_url, locations) as (context, datasource):
        for spec in specs:
            result_identifier, outcomes = _validate_suite(context, datasource, conn, spec, gx_run_id)
            validated.append((spec, result_identifier, outcomes))
        pages = _build_data_docs(context, [identifier for _, identifier, _ in validated], locations)
    return [
        SuiteResult(suite_name=spec.suite_name, key_name=spec.key_name, outcomes=tuple(outcomes), data_docs_path=page)
        for (spec, _, outcomes), page in zip(validated, pages, strict=True)
    ]


def _validate_suite(context, datasource, conn: psycopg.Connection, spec: GateSpec, gx_run_id):
    """(GX result identifier, our outcomes) of one suite on one table; the result is stored for Data Docs."""
    import great_expectations as gx
    from great_expectations.expectations.row_conditions import Column

    row_condition = Column("_load_id") == spec.load_id if spec.load_id is not None else None
    suite = build_suite(spec.suite_name, row_condition=row_condition, batch_sql=spec.batch_sql)
    context.suites.add(suite)
    # A table asset, not a query asset for the load: GX learns a query asset's columns by
    # running the whole query and buffering every row (a 1M-row load cost ~600 MB).
    asset = datasource.add_table_asset(name=spec.asset_name, schema_name=spec.schema, table_name=spec.table)
    batch_definition = asset.add_batch_definition_whole_table("whole")
    name = f"{spec.gate}_gate_{spec.suite_name}"
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=name,
            validation_definitions=[definition],
            actions=[],  # Data Docs are built once per gate, under a lock shared with other gates
            result_format=result_format(spec.index_columns, samples=0),
        )
    )
    [(result_identifier, suite_result)] = checkpoint.run(run_id=gx_run_id).run_results.items()

    add_column_samples(batch_definition, suite_result.results, spec.index_columns)
    context.validation_results_store.set(result_identifier, suite_result)  # now with samples
    outcomes = []
    for expectation_result in suite_result.results:
        as_json = expectation_result.to_json_dict()
        sql_rows = sql_sample_rows(conn, as_json, spec.batch_sql)
        outcomes.append(outcome_from_result(as_json, spec.key_name, sql_rows))
    return result_identifier, outcomes


def _suite_page_stale(locations: GatePaths, name: str) -> bool:
    """A suite's Data Docs page is re-rendered only when missing or older than its JSON in git.

    Rendering all five suite pages on every gate cost about a second; the index still lists
    every suite (they are all in the context's store), and a reviewed change re-renders its page.
    """
    page = locations.data_docs / "expectations" / f"{name}.html"
    return not page.exists() or page.stat().st_mtime < suite_path(name).stat().st_mtime


def _build_data_docs(context, result_identifiers: list, locations: GatePaths) -> list[Path | None]:
    """Render this gate's validation pages, the suites' pages (as reviewed in git) and the index.

    Returns each result's page path, in order; all None when rendering failed: the verdict is
    recorded either way and the log says why the pages are missing.
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
                resource_identifiers=list(result_identifiers)
                + [ExpectationSuiteIdentifier(name=name) for name in SUITE_NAMES if _suite_page_stale(locations, name)]
            )
        pages: list[Path | None] = []
        for identifier in result_identifiers:
            (site,) = context.get_docs_sites_urls(resource_identifier=identifier)
            pages.append(Path(unquote(urlsplit(site["site_url"]).path)))
        return pages
    except Exception:
        log.exception("Data Docs could not be built in %s", locations.data_docs)
        return [None] * len(result_identifiers)
