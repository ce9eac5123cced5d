"""Turn GX expectation results (their JSON form) into ExpectationOutcome rows.

Works on `ExpectationValidationResult.to_json_dict()` so it needs no live GX objects. Results
come in SUMMARY format, whose unexpected values and key rows GX fetches with LIMIT in SQL: at
most MAX_SAMPLE_KEYS per expectation, so a load with a million bad rows stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from expectations.result import MAX_SAMPLE_KEYS, ExpectationOutcome
from expectations.suites import SQL_EXPECTATION

ROW_NUMBER = "_row_number"


def result_format(index_columns: Sequence[str], samples: int = MAX_SAMPLE_KEYS) -> dict[str, Any]:
    """GX result_format for a gate: at most `samples` unexpected values and key rows each.

    samples=0 makes GX issue its sample queries with LIMIT 0, which PostgreSQL answers without
    scanning; the gate validates with 0 first and samples only the expectations that failed.
    """
    return {
        "result_format": "SUMMARY",
        "partial_unexpected_count": samples,
        "unexpected_index_column_names": list(index_columns),
        "return_unexpected_index_query": False,
    }


def exception_message(exception_info: Any) -> str | None:
    """GX reports either one {raised_exception, exception_message} or one per failed metric."""
    if not isinstance(exception_info, Mapping):
        return None
    if "raised_exception" in exception_info:
        if exception_info.get("raised_exception"):
            return str(exception_info.get("exception_message") or "unknown error").strip()
        return None
    messages = [exception_message(info) for info in exception_info.values()]
    messages = [m for m in messages if m]
    return "; ".join(dict.fromkeys(messages)) or None


def key_of(row: Mapping[str, Any], key_name: str) -> str:
    """The offending row's business key; its row number in the file when the key is missing."""
    value = row.get(key_name)
    if value is None and key_name not in row and row:
        value = next(iter(row.values()))  # SQL checks select their key first
    if value is None:
        if row.get(ROW_NUMBER) is not None:
            return f"row {row[ROW_NUMBER]} (no {key_name})"
        return f"(no {key_name})"
    return str(value)


def sample_keys(rows: Sequence[Mapping[str, Any]], key_name: str) -> tuple[str, ...]:
    keys = [key_of(row, key_name) for row in rows]
    return tuple(dict.fromkeys(keys))[:MAX_SAMPLE_KEYS]


def _column(kwargs: Mapping[str, Any], meta: Mapping[str, Any]) -> str | None:
    if kwargs.get("column"):
        return kwargs["column"]
    if kwargs.get("column_A") and kwargs.get("column_B"):
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    if kwargs.get("column_list"):
        return ", ".join(kwargs["column_list"])
    return meta.get("column")


def _observed(result: Mapping[str, Any]) -> str | None:
    if "observed_value" in result and result["observed_value"] is not None:
        return str(result["observed_value"])
    if result.get("unexpected_count") is None:
        return None
    observed = f"{result['unexpected_count']} of {result.get('element_count')} rows"
    if result.get("unexpected_percent") is not None:
        observed += f" ({result['unexpected_percent']:.2f}% of non-null values)"
    values = list(dict.fromkeys(map(repr, result.get("partial_unexpected_list") or [])))
    if values and values != ["None"]:
        observed += f", values such as {', '.join(values[:5])}"
    return observed


def _unexpected_count(expectation_type: str, result: Mapping[str, Any]) -> int | None:
    if expectation_type == SQL_EXPECTATION:
        value = result.get("observed_value")
        return int(value) if isinstance(value, int | float) else None
    value = result.get("unexpected_count")
    return int(value) if value is not None else None


def outcome_from_result(
    validation_result: Mapping[str, Any],
    key_name: str,
    sql_sample_rows: Sequence[Mapping[str, Any]] = (),
) -> ExpectationOutcome:
    """One ExpectationOutcome; sql_sample_rows are the gate's own sample for SQL checks."""
    config = validation_result.get("expectation_config") or {}
    expectation_type = config.get("type") or config.get("expectation_type") or "unknown"
    kwargs = config.get("kwargs") or {}
    meta = config.get("meta") or {}
    result = validation_result.get("result") or {}
    error = exception_message(validation_result.get("exception_info"))
    success = bool(validation_result.get("success")) and error is None

    key_column = None
    if expectation_type == SQL_EXPECTATION:
        keys = sample_keys(sql_sample_rows, key_name)
        if sql_sample_rows and key_name not in sql_sample_rows[0]:
            key_column = next(iter(sql_sample_rows[0]), None)
    else:
        keys = sample_keys(result.get("partial_unexpected_index_list") or [], key_name)

    return ExpectationOutcome(
        expectation_type=expectation_type,
        expectation_name=meta.get("name") or expectation_type,
        column=_column(kwargs, meta),
        severity=meta.get("severity", "critical"),
        success=success,
        observed_value=_observed(result),
        unexpected_count=_unexpected_count(expectation_type, result),
        sample_keys=() if success else keys,
        why=meta.get("why", ""),
        error=error,
        key_column=key_column,
        details={
            "kwargs": {k: v for k, v in kwargs.items() if k not in ("batch_id", "row_condition")},
            "result": result,
            "sample_rows": [dict(row) for row in sql_sample_rows] if not success else [],
        },
    )


def sample_query(unexpected_rows_query: str, batch_sql: str) -> str:
    """The SQL check as it ran, capped at MAX_SAMPLE_KEYS rows.

    The gate fills {batch} before GX sees the query (see suites.build_suite); a query that
    still holds it is filled the same way here.
    """
    filled = unexpected_rows_query
    if "{batch}" in filled:
        filled = filled.format(batch=batch_sql)
    return f"select * from ({filled}) as offending limit {MAX_SAMPLE_KEYS}"
