"""Run the dbt project (dbt_project/) in-process with dbtRunner against a warehouse URL.

Outside Airflow this is how the marts are built (`build`); inside Airflow astronomer-cosmos
runs the same project. dbt reads its connection from PARWH_DB_* environment variables
(dbt_project/profiles.yml), so each invocation sets them from the URL and restores the
previous environment afterwards.

A build that is stopped leaves nothing running on the server: dbt's connections carry this
process's application name, an interrupted invocation (Ctrl-C, or SIGTERM raised as one by the
CLI) terminates every server session of that name, and on PostgreSQL 14+ the sessions check every
few seconds that their client is still there (client_connection_check_interval), so even a
`kill -9` of the builder ends its queries.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.runtime import warehouse
from ingest.settings import paths

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # dbt is imported lazily: it is slow to import and DAG files import us.
    from dbt.cli.main import dbtRunnerResult

# Node statuses that make an invocation fail (run, test and freshness result statuses).
FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})
# Unit-test diffs come coloured for the terminal; exception messages should be plain text.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")

CLIENT_CHECK_MS = 5000
# dbt keeps process-wide state (flags, adapters, environment), so invocations in one
# process must not overlap.
_invocation_lock = threading.Lock()


class DbtBuildError(RuntimeError):
    """A dbt invocation did not succeed; `failures` lists (node, message) pairs."""

    def __init__(self, command: list[str], failures: list[tuple[str, str]], cause: str | None = None):
        self.command = command
        self.failures = failures
        self.cause = cause
        lines = [f"dbt {' '.join(command)} failed"]
        if cause:
            lines.append(f"  error: {cause}")
        lines.extend(f"  - {node}: {message}" for node, message in failures)
        if not failures and not cause:
            lines.append("  (no failing node reported; see dbt.log in the log path)")
        super().__init__("\n".join(lines))


def project_dir() -> Path:
    return paths().dbt_project


def run_dbt(
    args: list[str],
    warehouse_url: str,
    vars: dict[str, Any] | None = None,
    target_path: Path | None = None,
) -> dbtRunnerResult:
    """Invoke `dbt <args>` on the project against `warehouse_url`.

    `vars` become `--vars` (JSON; dates are written as ISO strings). `target_path` keeps
    artifacts and logs of concurrent runs apart (default dbt_project/target and
    dbt_project/logs). Raises DbtBuildError naming every failing node when the invocation
    does not succeed.
    """
    from dbt.cli.main import dbtRunner

    project = project_dir()
    command = [*args, "--project-dir", str(project), "--profiles-dir", str(project)]
    if vars:
        command += ["--vars", json.dumps(vars, default=str)]
    environment = _dbt_environment(warehouse_url, target_path)
    with _invocation_lock, _environment(environment):
        result = dbtRunner().invoke(command)
    if isinstance(result.exception, KeyboardInterrupt):   # dbtRunner hands back even an interruption
        end_sessions(warehouse_url, environment["PGAPPNAME"])
        raise result.exception
    if not result.success:
        raise DbtBuildError(args, failing_nodes(result), _describe(result.exception))
    return result


def build(
    warehouse_url: str,
    full_refresh: bool = False,
    vars: dict[str, Any] | None = None,
    target_path: Path | None = None,
) -> dbtRunnerResult:
    """Load the seeds, then build (run + test + unit test) every model; returns the build result."""
    refresh = ["--full-refresh"] if full_refresh else []
    run_dbt(["seed", *refresh], warehouse_url, vars=vars, target_path=target_path)
    return run_dbt(
        ["build", "--exclude-resource-type", "seed", *refresh],
        warehouse_url,
        vars=vars,
        target_path=target_path,
    )


def failing_nodes(result: dbtRunnerResult) -> list[tuple[str, str]]:
    """(unique_id, message) of every node whose status failed the invocation."""
    failures: list[tuple[str, str]] = []
    for node_result in getattr(result.result, "results", None) or []:
        status = str(getattr(node_result.status, "value", node_result.status))
        if status in FAILED_STATUSES:
            node = node_result.node
            message = _ANSI_ESCAPE.sub("", node_result.message or status).strip()
            failures.append((node.unique_id, message))
    return failures


def _describe(exception: BaseException | None) -> str | None:
    if exception is None:
        return None
    return f"{type(exception).__name__}: {exception}".strip()


def application_name() -> str:
    """The application name of this process's dbt sessions, given to libpq as PGAPPNAME (the profile
    leaves it unset: dbt counts the profile's application_name in its partial-parse key, so a name
    per process would make every invocation parse the whole project again)."""
    return f"parwh-dbt-{os.getpid()}"


def end_sessions(warehouse_url: str, name: str) -> int:
    """Terminate the server sessions named `name` (an interrupted build's queries); returns how many."""
    import psycopg

    try:
        with psycopg.connect(warehouse_url, autocommit=True, connect_timeout=10) as conn:
            ended = conn.execute("select count(*) filter (where pg_terminate_backend(pid)) from pg_stat_activity"
                                 " where application_name = %s and pid <> pg_backend_pid()", (name,)).fetchone()[0]
    except psycopg.Error as exc:
        log.warning("could not end the interrupted build's sessions (%s): they end with their queries", exc)
        return 0
    if ended:
        log.warning("interrupted: ended %d dbt session(s) still running on the server", ended)
    return ended


def _client_check_options(warehouse_url: str) -> str:
    """PGOPTIONS that make the server notice a vanished client during a query (PostgreSQL 14+)."""
    import psycopg

    with psycopg.connect(warehouse_url, connect_timeout=10) as conn:
        if conn.info.server_version < 140000:
            return os.environ.get("PGOPTIONS", "")
    return " ".join(filter(None, [os.environ.get("PGOPTIONS", ""),
                                  f"-c client_connection_check_interval={CLIENT_CHECK_MS}"]))


def _dbt_environment(warehouse_url: str, target_path: Path | None) -> dict[str, str]:
    env = warehouse.parse_url(warehouse_url).as_env()
    env["PGAPPNAME"] = application_name()
    env["PGOPTIONS"] = _client_check_options(warehouse_url)
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env["DO_NOT_TRACK"] = "1"
    if target_path is not None:
        target = Path(target_path).resolve()
        env["DBT_TARGET_PATH"] = str(target)
        env["DBT_LOG_PATH"] = str(target / "logs")
    return env


@contextmanager
def _environment(overrides: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# Marts that BI reads through index-only scans (fct_dossiers is a view of this table): right after
# a rebuild their visibility map is empty and those scans visit the table for every row (slower
# than no index at all), so they are vacuumed after each build. VACUUM cannot run in a
# transaction, hence not a dbt post-hook.
VACUUMED_MARTS = ("fct_dossiers_base",)


def vacuum_marts(warehouse_url: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        for table in VACUUMED_MARTS:
            if conn.execute("select to_regclass(%s)", (f"marts.{table}",)).fetchone()[0] is None:
                continue
            try:
                conn.execute(sql.SQL("vacuum (analyze) {}").format(sql.Identifier("marts", table)))
            except psycopg.errors.InsufficientPrivilege as exc:  # a role that does not own the mart
                log.warning("marts.%s not vacuumed (%s): BI queries may be slower until autovacuum runs",
                            table, str(exc).strip())
