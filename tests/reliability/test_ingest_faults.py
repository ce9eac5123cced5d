"""Ingest under faults, against a real PostgreSQL: a process killed in the middle of its COPY, and
two ingests started at once over overlapping files."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import psycopg
import pytest

from ingest.runtime import load_audit

from .helpers import cli_env, loads_by_file, raw_counts, start_cli, write_export

pytestmark = pytest.mark.warehouse

ROWS = 120_000   # ~2 s of COPY: long enough to be killed in the middle of it


def _wait_for_copy(url: str, proc, timeout: float = 60.0) -> int:
    """The load id once the ingest's COPY into raw is running (its 'started' row is committed)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the ingest ended before its COPY was seen: " + proc.stderr.read()[-2000:]
            copying = conn.execute(
                "select 1 from pg_stat_activity where datname = current_database() and state = 'active'"
                " and query ilike 'copy %%raw%%portal_dossiers%%from stdin%%'").fetchone()
            started = conn.execute("select load_id from audit.loads where status = 'started'").fetchone()
            if copying and started:
                return started[0]
            time.sleep(0.02)
    raise AssertionError("the ingest's COPY never showed in pg_stat_activity")


def _wait_for_backends_to_end(url: str, timeout: float = 30.0) -> None:
    """The killed client's server session ends when PostgreSQL notices the closed socket."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while conn.execute("select count(*) from pg_stat_activity where datname = current_database()"
                           " and pid <> pg_backend_pid() and backend_type = 'client backend'").fetchone()[0]:
            assert time.monotonic() < deadline, "the killed ingest's session is still alive"
            time.sleep(0.05)


@pytest.mark.fault
def test_kill_9_during_copy_leaves_nothing_and_the_rerun_loads_once(fresh_database, tmp_path, reliability):
    with reliability.fault("kill -9 of an ingest in the middle of its COPY") as case:
        case.count_lost_rows(lambda: ROWS - raw_counts(fresh_database)[1])
        export = write_export(tmp_path / "big_export.csv", ROWS, "KILL")
        env = cli_env(fresh_database, tmp_path)
        proc = start_cli("ingest", "--no-gate", str(export), env=env)
        try:
            killed_load = _wait_for_copy(fresh_database, proc)
            time.sleep(0.3)                      # well inside the COPY
            assert proc.poll() is None, "the COPY finished before the kill"
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=30) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.stdout.close()
            proc.stderr.close()
        _wait_for_backends_to_end(fresh_database)
        with psycopg.connect(fresh_database) as conn:
            assert conn.execute("select count(*) from raw.portal_dossiers where _load_id = %s",
                                (killed_load,)).fetchone()[0] == 0, "no row of the killed load is visible"
            assert conn.execute("select status from audit.loads where load_id = %s",
                                (killed_load,)).fetchone()[0] == "started"

        rerun = start_cli("ingest", "--no-gate", str(export), env=env)
        out, err = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, out + err
        with psycopg.connect(fresh_database) as conn:
            status, error = conn.execute("select status, error from audit.loads where load_id = %s",
                                         (killed_load,)).fetchone()
        assert status == "failed" and "abandoned" in error
        assert loads_by_file(fresh_database)["big_export.csv"] == [("failed", None), ("loaded", ROWS)]
        total, distinct = raw_counts(fresh_database)
        assert total == distinct == ROWS, "the file is loaded exactly once"


def _start_together(url: str, runs: list[tuple[str, ...]], env: dict[str, str]) -> list:
    """Start the ingests while the test holds the warehouse ingest lock, and let go once all of them
    have listed their files and wait for it: they truly start at once."""
    with load_audit.exclusive_ingest(url):
        procs = [start_cli(*args, env=env) for args in runs]
        deadline = time.monotonic() + 60
        with psycopg.connect(url, autocommit=True) as conn:
            while conn.execute("select count(*) from pg_stat_activity where datname = current_database()"
                               " and wait_event_type = 'Lock' and query ilike '%%audit.ingest_lock%%'"
                               ).fetchone()[0] < len(procs):
                assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "ingests not waiting"
                time.sleep(0.05)
    return procs


def _files(folder: Path, names: list[str], rows: int = 40) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [write_export(folder / f"{name}.csv", rows, name.upper()) for name in names]


@pytest.mark.fault
def test_two_ingests_at_once_on_overlapping_files_load_each_file_once(fresh_database, tmp_path, reliability):
    with reliability.fault("two `parwh ingest` runs started at once on overlapping files") as case:
        case.count_lost_rows(lambda: 5 * 20_000 - raw_counts(fresh_database)[1])
        files = _files(tmp_path / "exports", ["a", "b", "c", "d", "e"], rows=20_000)
        env = cli_env(fresh_database, tmp_path)
        first, second = _start_together(fresh_database, [("ingest", "--no-gate", *map(str, files[:4])),
                                                         ("ingest", "--no-gate", *map(str, files[1:]))], env)
        outputs = [proc.communicate(timeout=300) for proc in (first, second)]
        assert [first.returncode, second.returncode] == [0, 0], outputs
        loads = loads_by_file(fresh_database)
        for path in files:
            statuses = [status for status, _ in loads[path.name]]
            assert statuses.count("loaded") == 1, (path.name, statuses)
            assert set(statuses) <= {"loaded", "duplicate"}
        total, distinct = raw_counts(fresh_database)
        assert total == distinct == 5 * 20_000


@pytest.mark.fault
def test_two_ingests_of_the_landing_folder_at_once(fresh_database, tmp_path, reliability):
    """Both runs list the same landing files; the first moves them to the archive while the second
    waits for the ingest lock. The second must skip what is gone, not fail."""
    with reliability.fault("two ingests of the landing folder at once") as case:
        case.count_lost_rows(lambda: 3 * 20_000 - raw_counts(fresh_database)[1])
        files = _files(tmp_path / "landing", ["p", "q", "r"], rows=20_000)
        env = cli_env(fresh_database, tmp_path)
        runs = _start_together(fresh_database, [("ingest", "--no-gate", str(tmp_path / "landing"))] * 2, env)
        outputs = [proc.communicate(timeout=300) for proc in runs]
        assert [proc.returncode for proc in runs] == [0, 0], outputs
        assert all("Traceback" not in err for _, err in outputs)
        loads = loads_by_file(fresh_database)
        assert all([s for s, _ in loads[p.name]].count("loaded") == 1 for p in files), loads
        assert raw_counts(fresh_database) == (3 * 20_000, 3 * 20_000)
        archived = sorted(p.name for p in (tmp_path / "archive").rglob("*.csv"))
        assert archived == sorted(p.name for p in files), "each file archived once, nothing left in landing"
        assert not list((tmp_path / "landing").iterdir())


@pytest.mark.fault
def test_two_loaders_racing_on_the_same_file_load_it_once(fresh_database, tmp_path, reliability):
    """Below the CLI's ingest lock: two processes land the same file at the same moment (the unique
    index on live loads decides)."""
    import subprocess
    import sys

    with reliability.fault("two loaders racing on one file") as case:
        case.count_lost_rows(lambda: 20_000 - raw_counts(fresh_database)[1])
        export = write_export(tmp_path / "race.csv", 20_000, "RACE")
        env = cli_env(fresh_database, tmp_path)
        code = ("import sys; from ingest.landing import loader; "
                f"r = loader.land_file({fresh_database!r}, {str(export)!r}); print(r.status)")
        procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
                 for _ in range(2)]
        statuses = sorted(proc.communicate(timeout=300)[0].strip() for proc in procs)
        assert statuses == ["duplicate", "loaded"]
        assert raw_counts(fresh_database) == (20_000, 20_000)
