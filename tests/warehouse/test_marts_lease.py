"""One builder of the marts at a time (audit.marts_lease): who may take it, who waits, who is
taken over, and `parwh build` refusing clearly while another build holds the marts."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import psycopg
import pytest

from ingest.cli import main
from ingest.runtime import marts_lease

pytestmark = [pytest.mark.warehouse]


def always_alive(holder: str) -> bool:
    return True


def dead_cli_holder() -> str:
    """The holder name of a `parwh` process of this host that has exited."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return marts_lease.cli_holder().rsplit(":", 1)[0] + ":" + proc.stdout.strip()


@pytest.fixture
def conn(fresh_database):
    with psycopg.connect(fresh_database, autocommit=True) as connection:
        yield connection


def test_a_free_lease_is_taken_and_a_second_builder_is_refused_with_the_holder_named(conn):
    taken, lease = marts_lease.try_acquire(conn, "airflow:warehouse_backfill/manual_1", purpose="backfill")
    assert taken and lease.holder == "airflow:warehouse_backfill/manual_1" and lease.expires_at > lease.acquired_at
    taken, lease = marts_lease.try_acquire(conn, "airflow:warehouse_nightly/scheduled_2", purpose="nightly",
                                           is_alive=always_alive)
    assert not taken
    assert lease.holder == "airflow:warehouse_backfill/manual_1"
    assert "warehouse_backfill/manual_1 (backfill) since" in str(marts_lease.MartsBusy(lease))


def test_only_the_holder_releases_and_a_retried_holder_renews(conn):
    assert marts_lease.try_acquire(conn, "cli:host:1", purpose="build")[0]
    first_expiry = marts_lease.current(conn).expires_at
    assert marts_lease.try_acquire(conn, "cli:host:1", purpose="build", ttl=timedelta(hours=20))[0]
    assert marts_lease.current(conn).expires_at > first_expiry
    assert not marts_lease.release(conn, "cli:host:2")
    assert marts_lease.current(conn).holder == "cli:host:1"
    assert marts_lease.release(conn, "cli:host:1")
    assert marts_lease.current(conn).holder is None
    assert marts_lease.try_acquire(conn, "cli:host:2", purpose="build", is_alive=always_alive)[0]


def test_a_dead_or_expired_holder_is_taken_over(conn):
    assert marts_lease.try_acquire(conn, "airflow:warehouse_nightly/failed_run", purpose="nightly")[0]
    taken, lease = marts_lease.try_acquire(conn, "cli:host:7", purpose="build",
                                           is_alive=lambda holder: holder != "airflow:warehouse_nightly/failed_run")
    assert taken and lease.holder == "cli:host:7"
    assert marts_lease.release(conn, "cli:host:7")
    assert marts_lease.try_acquire(conn, "cli:elsewhere:9", purpose="build", ttl=timedelta(seconds=-1))[0]
    assert marts_lease.try_acquire(conn, "cli:host:8", purpose="build", is_alive=always_alive)[0], \
        "an expired lease was not taken over"


def test_a_parwh_process_of_this_host_that_exited_is_dead_and_a_running_one_is_not():
    assert not marts_lease.cli_holder_alive(dead_cli_holder())
    assert marts_lease.cli_holder_alive(marts_lease.cli_holder())
    assert marts_lease.cli_holder_alive("cli:some-other-host:1"), "another host's process cannot be checked here"


def test_the_lease_is_given_back_when_the_build_fails(fresh_database):
    with pytest.raises(RuntimeError, match="dbt broke"), marts_lease.held(fresh_database, purpose="test build"):
        with psycopg.connect(fresh_database) as other:
            assert marts_lease.current(other).holder == marts_lease.cli_holder()
        raise RuntimeError("dbt broke")
    with psycopg.connect(fresh_database) as conn:
        assert marts_lease.current(conn).holder is None


def test_parwh_build_refuses_while_another_build_holds_the_marts(fresh_database, monkeypatch, capsys):
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        holder = "airflow:warehouse_backfill/manual_2026"
        assert marts_lease.try_acquire(conn, holder, purpose="warehouse_backfill run")[0]
    monkeypatch.setenv("WAREHOUSE_URL", fresh_database)
    assert main(["build"]) == 1
    err = capsys.readouterr().err
    assert "the marts are being rebuilt by airflow:warehouse_backfill/manual_2026 (warehouse_backfill run)" in err
    assert "Traceback" not in err
    with psycopg.connect(fresh_database) as conn:
        assert marts_lease.current(conn).holder == "airflow:warehouse_backfill/manual_2026", "the holder lost it"
        built = conn.execute("select count(*) from information_schema.tables where table_schema = 'marts'").fetchone()
    assert built == (0,), "parwh build ran dbt without the lease"
    assert main(["status"]) == 0
    assert "Marts being rebuilt by: airflow:warehouse_backfill/manual_2026" in capsys.readouterr().out
    assert main(["lease", "--release"]) == 0
    assert "released the marts lease held by airflow:warehouse_backfill/manual_2026" in capsys.readouterr().out
    assert main(["lease"]) == 0
    assert capsys.readouterr().out.strip() == "marts being rebuilt by: nobody"
