"""One builder of the marts at a time: the lease row in audit.marts_lease.

warehouse_nightly, warehouse_backfill and `parwh build` all rebuild the same mart tables; two at
once would interleave incremental merges judged at different as-of dates and leave marts that
no single build would give. Each takes the lease before its first dbt model and gives it back
when it is done, whatever happened. A holder that died without giving it back does not block for
ever: it is taken over once it is known dead (an Airflow run no longer running, a `parwh`
process gone from this host) or once its expiry has passed.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

AIRFLOW_PREFIX = "airflow:"
CLI_PREFIX = "cli:"
# A builder that dies is normally found dead long before this; the expiry is the last resort
# for holders whose liveness cannot be checked (a `parwh build` on another host).
DEFAULT_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class Lease:
    holder: str | None
    purpose: str | None
    acquired_at: datetime | None
    expires_at: datetime | None

    def describe(self) -> str:
        if self.holder is None:
            return "nobody"
        since = f" since {self.acquired_at:%Y-%m-%d %H:%M %Z}" if self.acquired_at else ""
        until = f", expires {self.expires_at:%Y-%m-%d %H:%M %Z}" if self.expires_at else ""
        return f"{self.holder} ({self.purpose or 'a build'}){since}{until}"


class MartsBusy(Exception):
    """Another builder holds the marts."""

    def __init__(self, lease: Lease):
        super().__init__(f"the marts are being rebuilt by {lease.describe()}; "
                         "wait for it to finish (it releases the marts at its end) and try again")
        self.lease = lease


def airflow_holder(dag_id: str, run_id: str) -> str:
    return f"{AIRFLOW_PREFIX}{dag_id}/{run_id}"


def cli_holder() -> str:
    return f"{CLI_PREFIX}{socket.gethostname()}:{os.getpid()}"


def cli_holder_alive(holder: str) -> bool:
    """False only for a `parwh` process of this host that no longer exists; anything else may live."""
    host, _, pid = holder.removeprefix(CLI_PREFIX).rpartition(":")
    if not holder.startswith(CLI_PREFIX) or host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def current(conn: psycopg.Connection) -> Lease:
    row = conn.execute("select holder, purpose, acquired_at, expires_at from audit.marts_lease").fetchone()
    return Lease(*row) if row else Lease(None, None, None, None)


def try_acquire(conn: psycopg.Connection, holder: str, *, purpose: str, ttl: timedelta = DEFAULT_TTL,
                is_alive: Callable[[str], bool] = cli_holder_alive) -> tuple[bool, Lease]:
    """Take the lease for `holder` unless a live holder has it; (taken?, the lease as it now is).

    Taking it again as its own holder (a retried task) renews it. `is_alive(holder)` says whether
    a current holder might still be building; a dead one is taken over before its expiry."""
    with conn.transaction():
        row = conn.execute("select holder, expires_at < now() from audit.marts_lease for update").fetchone()
        if row is None:
            raise RuntimeError("audit.marts_lease has no row: the warehouse DDL is not applied (parwh migrate)")
        held_by, expired = row
        if held_by is not None and held_by != holder and not expired and is_alive(held_by):
            return False, current(conn)
        conn.execute(
            "update audit.marts_lease set holder = %s, purpose = %s, acquired_at = now(),"
            " expires_at = now() + %s", (holder, purpose, ttl))
        return True, current(conn)


def release(conn: psycopg.Connection, holder: str) -> bool:
    """Give the lease back if `holder` has it; False when it did not (taken over, or never taken)."""
    with conn.transaction():
        cursor = conn.execute(
            "update audit.marts_lease set holder = null, purpose = null, acquired_at = null, expires_at = null"
            " where holder = %s", (holder,))
        return cursor.rowcount == 1


@contextmanager
def held(warehouse_url: str, *, purpose: str, holder: str | None = None,
         ttl: timedelta = DEFAULT_TTL) -> Iterator[Lease]:
    """Hold the lease for the block (a `parwh` command); raises MartsBusy at once when it is taken."""
    holder = holder or cli_holder()
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        taken, lease = try_acquire(conn, holder, purpose=purpose, ttl=ttl)
    if not taken:
        raise MartsBusy(lease)
    try:
        yield lease
    finally:
        with psycopg.connect(warehouse_url, autocommit=True) as conn:
            release(conn, holder)
