"""Bounded samples of offending rows, fetched only for expectations that failed.

The gate first validates with samples=0 (counts only: one bundled scan for all column checks,
GX's sample queries become LIMIT 0). For a 1M-row load that is several times faster than
asking GX for samples up front, because GX runs each sample query even when nothing is wrong,
and a LIMIT 10 query that finds nothing scans every row. Samples are then taken for the
failed expectations only: GX for column checks, our own LIMIT query for SQL checks.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import psycopg

from expectations.outcomes import result_format, sample_query
from expectations.result import MAX_SAMPLE_KEYS
from expectations.suites import SQL_EXPECTATION

log = logging.getLogger(__name__)

SAMPLE_FIELDS = ("partial_unexpected_list", "partial_unexpected_index_list", "partial_unexpected_counts")


def _needs_gx_sample(expectation_result) -> bool:
    result = expectation_result.result or {}
    return (
        not expectation_result.success
        and expectation_result.expectation_config.type != SQL_EXPECTATION
        and (result.get("unexpected_count") or 0) > 0
    )


def add_column_samples(batch_definition, expectation_results: Sequence, index_columns: Sequence[str]) -> None:
    """Fill GX's partial_unexpected_* fields of failed column checks in place (for Data Docs too)."""
    import great_expectations as gx

    failed = [r for r in expectation_results if _needs_gx_sample(r)]
    if not failed:
        return
    expectations = []
    for expectation_result in failed:
        expectation = expectation_result.expectation_config.to_domain_obj()
        expectation.id = None  # a copy: GX refuses expectations that belong to a stored suite
        expectations.append(expectation)
    suite = gx.ExpectationSuite(name="failed_expectation_samples", expectations=expectations)
    batch = batch_definition.get_batch()
    sampled = batch.validate(suite, result_format=result_format(index_columns, MAX_SAMPLE_KEYS))
    for original, again in zip(failed, sampled.results, strict=True):
        if again.expectation_config.type != original.expectation_config.type:
            raise RuntimeError("GX returned sample results out of order")  # never silently mismatch
        for field in SAMPLE_FIELDS:
            if field in (again.result or {}):
                original.result[field] = again.result[field]


def sql_sample_rows(conn: psycopg.Connection, expectation_result: dict, batch_sql: str) -> list[dict]:
    """Up to MAX_SAMPLE_KEYS offending rows of a failed SQL check (GX's SUMMARY omits them)."""
    config = expectation_result.get("expectation_config") or {}
    if config.get("type") != SQL_EXPECTATION or expectation_result.get("success"):
        return []
    query = sample_query(config["kwargs"]["unexpected_rows_query"], batch_sql)
    try:
        with conn.cursor() as cur:
            cur.execute(query)
            columns = [column.name for column in cur.description]
            return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    except psycopg.Error as exc:  # the check already failed; the sample is a courtesy
        log.warning("could not sample offending rows for %s: %s", config.get("meta", {}).get("name"), exc)
        return []
