"""Careless and hostile deliveries that cannot be committed to git, made here at run time: a FIFO,
links to endless devices and to a file outside landing/, a file nobody may read, a file that
changes while it is loaded, spreadsheets that used to take minutes, and bad settings and
arguments. Each runs `parwh` as a subprocess with a hard timeout, so the suite itself never
hangs; nothing may take 60 s."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.support import prerequisites
from tests.unit.landing.test_ingest_unit import PROVINCIAL_HEADER, provincial_row

from .helpers import cli_env, loads_by_file, raw_counts, start_cli, write_export

pytestmark = pytest.mark.warehouse

HANG_LIMIT = 60   # seconds: nothing may hang past it


def parwh(url: str, home: Path, *args: str, env: dict[str, str] | None = None,
          timeout: float = HANG_LIMIT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ingest.cli", *args], env=env or cli_env(url, home),
                          capture_output=True, text=True, timeout=timeout)


def loads(url: str) -> dict[str, tuple[str, str | None]]:
    """file name -> (status, error) of its last load."""
    with psycopg.connect(url) as conn:
        return {name: (status, error) for name, status, error in conn.execute(
            "select file_name, status, error from audit.loads order by load_id")}


def audit_text(url: str) -> str:
    with psycopg.connect(url) as conn:
        return "\n".join(str(row) for table in ("audit.loads", "audit.rejected_rows")
                         for row in conn.execute(f"select * from {table}"))


# ---- only regular files, links only within the folder given ---------------------------------
@pytest.mark.bad_input
def test_a_fifo_and_links_to_endless_devices_are_rejected_at_once_and_the_rest_loads(
        fresh_database, tmp_path, reliability):
    landing = tmp_path / "landing"
    landing.mkdir()
    write_export(landing / "a_good.csv", 30, "GOOD")
    os.mkfifo(landing / "b_pipe.csv")
    (landing / "c_zero.csv").symlink_to("/dev/zero")
    (landing / "d_random.jsonl").symlink_to("/dev/urandom")
    with reliability.bad_input("a FIFO and links to /dev/zero, /dev/urandom in landing/"):
        started = time.monotonic()
        proc = parwh(fresh_database, tmp_path, "ingest", "--no-gate", str(landing))
        assert time.monotonic() - started < HANG_LIMIT
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        found = loads(fresh_database)
        assert found["a_good.csv"][0] == "loaded"
        assert found["b_pipe.csv"][0] == "rejected" and found["b_pipe.csv"][1].startswith("not_a_regular_file:")
        assert "named pipe" in found["b_pipe.csv"][1]
        for link in ("c_zero.csv", "d_random.jsonl"):
            assert found[link][0] == "rejected" and found[link][1].startswith("link_outside_folder:"), found[link]
        assert raw_counts(fresh_database) == (30, 30)
        # Named on the command line, a FIFO is not opened either.
        os.mkfifo(tmp_path / "named_pipe.csv")
        proc = parwh(fresh_database, tmp_path, "ingest", "--no-gate", str(tmp_path / "named_pipe.csv"))
        assert proc.returncode == 1 and "not_a_regular_file" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.bad_input
def test_a_link_to_a_file_outside_landing_is_never_quoted(fresh_database, tmp_path, reliability):
    secret_line = "Mã hồ sơ,Chủ hồ sơ bí mật Nguyễn Văn Lộ,Số giấy tờ 079999888777"
    outside = tmp_path / "elsewhere" / "secrets.csv"
    outside.parent.mkdir()
    outside.write_text(secret_line + "\n1,2,3\n", encoding="utf-8")
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "export.csv").symlink_to(outside)
    with reliability.bad_input("link in landing/ to a file outside it"):
        proc = parwh(fresh_database, tmp_path, "ingest", str(landing))
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
        status = parwh(fresh_database, tmp_path, "status")
        why = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "quarantine").glob("*.why.txt"))
        assert "link_outside_folder" in proc.stdout and "link_outside_folder" in why
        for text in (proc.stdout, proc.stderr, status.stdout, status.stderr, why, audit_text(fresh_database)):
            assert "Nguyễn Văn Lộ" not in text and "079999888777" not in text
        assert outside.read_text(encoding="utf-8").startswith(secret_line), "the target is left alone"


# ---- one bad file never stops the batch --------------------------------------------------------
@pytest.mark.fault
def test_an_unreadable_file_is_rejected_and_the_files_after_it_load(fresh_database, tmp_path, reliability):
    """chmod 000 stops nobody who is root, so as root the ingest runs without the capabilities that
    override file permissions (setpriv), which makes the file truly unreadable to it."""
    landing = tmp_path / "landing"
    landing.mkdir()
    write_export(landing / "a_first.csv", 20, "FIRST")
    locked = write_export(landing / "b_locked.csv", 20, "LOCKED")
    write_export(landing / "c_after.csv", 20, "AFTER")
    locked.chmod(0)
    command = [sys.executable, "-m", "ingest.cli", "ingest", "--no-gate", str(landing)]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            prerequisites.missing("running as root without setpriv: cannot make a file unreadable")
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *command]
        reach = subprocess.run([*command[:3], sys.executable, "-c", "import psycopg, sys; psycopg.connect(sys.argv[1])",
                                fresh_database], capture_output=True, text=True, timeout=HANG_LIMIT)
        if reach.returncode != 0:   # the embedded server's socket is in a folder of its own user
            pytest.skip("the warehouse cannot be reached without the capabilities that override file permissions")
    with reliability.fault("a file in the batch that cannot be read (permission denied)") as case:
        case.count_lost_rows(lambda: 40 - raw_counts(fresh_database)[1])
        proc = subprocess.run(command, env=cli_env(fresh_database, tmp_path), capture_output=True, text=True,
                              timeout=HANG_LIMIT)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr, proc.stderr
        found = loads(fresh_database)
        assert found["a_first.csv"][0] == found["c_after.csv"][0] == "loaded"
        status, error = found["b_locked.csv"]
        assert status == "rejected" and error.startswith("unreadable_file:") and "ermission denied" in error
        assert raw_counts(fresh_database) == (40, 40)
        assert (tmp_path / "quarantine" / "b_locked.csv").exists()


# ---- a file that changes while it is read -----------------------------------------------------
def _wait_for_copy(url: str, proc, timeout: float = HANG_LIMIT) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while not conn.execute(
                "select 1 from pg_stat_activity where datname = current_database() and state = 'active'"
                " and query ilike 'copy %%raw%%portal_dossiers%%from stdin%%'").fetchone():
            assert proc.poll() is None, "the ingest ended before its COPY was seen: " + proc.stderr.read()[-2000:]
            assert time.monotonic() < deadline, "the ingest's COPY never showed"
            time.sleep(0.01)


@pytest.mark.fault
def test_a_file_that_changes_while_read_commits_nothing_and_loads_whole_next_time(fresh_database, tmp_path,
                                                                                 reliability):
    landing = tmp_path / "landing"
    landing.mkdir()
    export = write_export(landing / "growing.csv", 150_000, "GROW")
    whole = export.read_bytes()
    cut = whole.rfind(b"\n", 0, len(whole) // 2) + 1
    with reliability.fault("the file is cut in half while it is loaded, then delivered whole") as case:
        case.count_lost_rows(lambda: 150_000 - raw_counts(fresh_database)[1])
        proc = start_cli("ingest", "--no-gate", str(landing), env=cli_env(fresh_database, tmp_path))
        try:
            _wait_for_copy(fresh_database, proc)
            with export.open("r+b") as fh:      # the writer starts over: truncate and rewrite half
                fh.truncate(cut)
            out, err = proc.communicate(timeout=HANG_LIMIT)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 1, out + err
        status, error = loads(fresh_database)["growing.csv"]
        assert status == "rejected" and error.startswith("file_changed_while_read:"), error
        assert raw_counts(fresh_database) == (0, 0), "nothing of the changed file is committed"
        assert export.exists(), "the file stays in landing/ to be read again"
        export.write_bytes(whole)               # the intact file, delivered again
        proc = parwh(fresh_database, tmp_path, "ingest", "--no-gate", str(landing), timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert loads(fresh_database)["growing.csv"][0] == "loaded", "the intact file is no duplicate"
        assert raw_counts(fresh_database) == (150_000, 150_000)


# ---- duplicates key on content and arguments; loading again on purpose -------------------------
def _without_province(path: Path) -> Path:
    headers = [h for h in PROVINCIAL_HEADER.split(",") if h != "Mã tỉnh"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=headers, extrasaction="ignore")
        writer.writeheader()
        for n in range(5):
            writer.writerow(provincial_row(**{"Mã hồ sơ": f"NOPROV-{n}"}))
    return path


def _empty_province_cells(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=PROVINCIAL_HEADER.split(","))
        writer.writeheader()
        for n in range(5):
            writer.writerow(provincial_row(**{"Mã hồ sơ": f"EMPTYPROV-{n}", "Mã tỉnh": ""}))
    return path


@pytest.mark.fault
def test_a_file_run_again_with_the_right_province_loads(fresh_database, tmp_path, reliability):
    landing = tmp_path / "landing"
    landing.mkdir()
    _without_province(landing / "no_province.csv")
    _empty_province_cells(landing / "empty_province.csv")
    with reliability.fault("files without a province, run again from quarantine/ with --province"):
        first = parwh(fresh_database, tmp_path, "ingest", str(landing), timeout=300)
        assert first.returncode == 1, first.stdout + first.stderr
        found = loads(fresh_database)
        assert found["no_province.csv"][1].startswith("missing_province:")
        assert found["empty_province.csv"][0] == "quarantined", found["empty_province.csv"]
        assert raw_counts(fresh_database) == (0, 0)
        quarantine = tmp_path / "quarantine"
        again = parwh(fresh_database, tmp_path, "ingest", "--no-gate", "--province", "79",
                      str(quarantine / "no_province.csv"), str(quarantine / "empty_province.csv"))
        assert again.returncode == 0, again.stdout + again.stderr
        assert "duplicate" not in again.stdout
        assert raw_counts(fresh_database) == (10, 10), "both files' rows load with the province given"
        # The same content with the same arguments is a duplicate; --reload loads it again on purpose.
        same = parwh(fresh_database, tmp_path, "ingest", "--no-gate", "--province", "79",
                     str(quarantine / "no_province.csv"))
        assert same.returncode == 0 and "duplicate" in same.stdout, same.stdout
        reloaded = parwh(fresh_database, tmp_path, "ingest", "--no-gate", "--reload", "--province", "79",
                         str(quarantine / "no_province.csv"))
        assert reloaded.returncode == 0, reloaded.stdout + reloaded.stderr
        assert [s for s, _ in loads_by_file(fresh_database)["no_province.csv"]] == \
            ["rejected", "loaded", "duplicate", "loaded"]


# ---- spreadsheets whose work used to be unbounded ----------------------------------------------
@pytest.mark.bad_input
def test_thousands_of_full_row_merges_load_quickly(fresh_database, tmp_path, reliability):
    """5 000 ranges each merging one whole row (A:XFD) are a legal workbook: it loads, in seconds."""
    import re

    from .bad_corpus import _report_with_sheet_xml

    def change(xml: str) -> str:
        ranges = "".join(f'<mergeCell ref="A{r}:XFD{r}"/>' for r in range(300, 5300))
        xml = re.sub(r"<mergeCells.*?</mergeCells>", lambda m: m[0].replace("</mergeCells>", ranges + "</mergeCells>"),
                     xml, flags=re.S)
        return xml
    path = tmp_path / "whole_row_merges.xlsx"
    path.write_bytes(_report_with_sheet_xml(change))
    with reliability.bad_input("whole_row_merges.xlsx"):
        started = time.monotonic()
        proc = parwh(fresh_database, tmp_path, "ingest", "--no-gate", "--province", "01", str(path))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert time.monotonic() - started < HANG_LIMIT
        assert raw_counts(fresh_database) == (200, 200)


# ---- settings and arguments checked before any work --------------------------------------------
@pytest.mark.parametrize("setting, value", [
    ("PARWH_ZIP_MAX_RATIO", "nan"), ("PARWH_ZIP_MAX_RATIO", "inf"), ("PARWH_ZIP_MAX_RATIO", "-3"),
    ("PARWH_ZIP_MAX_RATIO", "0"), ("PARWH_ZIP_MAX_RATIO", "lots"), ("PARWH_MAX_ROWS", "1e3"),
    ("PARWH_MAX_FILE_BYTES", "-1"), ("PARWH_FILE_SECONDS", "nan"), ("PARWH_ZIP_MAX_MEMBERS", "0"),
    ("PARWH_OFFICE_HOURS_CUTOFF", "25:99"), ("PARWH_TASK_RETRIES", "-1"),
])
@pytest.mark.bad_input
def test_a_bad_setting_is_one_line_and_exit_2_before_any_work(fresh_database, tmp_path, setting, value,
                                                               reliability):
    export = write_export(tmp_path / "export.csv", 5, "SET")
    with reliability.bad_input(f"{setting}={value}"):
        proc = parwh(fresh_database, tmp_path, "ingest", "--no-gate", str(export),
                     env=cli_env(fresh_database, tmp_path, **{setting: value}))
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert proc.stderr.count("\n") == 1 and setting in proc.stderr and "Traceback" not in proc.stderr
        with psycopg.connect(fresh_database) as conn:
            assert conn.execute("select count(*) from audit.loads").fetchone() == (0,), "no work was done"


@pytest.mark.parametrize("args", [["--province", "99"], ["--province", "Hà Nội"], ["--province", "001"],
                                  ["--province", ""]])
@pytest.mark.bad_input
def test_a_province_that_is_no_province_code_is_a_usage_error(fresh_database, tmp_path, args, reliability):
    export = write_export(tmp_path / "export.csv", 5, "PROV")
    with reliability.bad_input(" ".join(args) or "empty --province"):
        proc = parwh(fresh_database, tmp_path, "ingest", "--no-gate", *args, str(export))
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert proc.stderr.count("\n") == 1 and "is not a province code" in proc.stderr
        with psycopg.connect(fresh_database) as conn:
            assert conn.execute("select count(*) from audit.loads").fetchone() == (0,)


def test_a_valid_province_is_taken_with_or_without_its_leading_zero(fresh_database, tmp_path):
    proc = parwh(fresh_database, tmp_path, "ingest", "--no-gate", "--province", "1",
                 str(_without_province(tmp_path / "one.csv")))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with psycopg.connect(fresh_database) as conn:
        assert conn.execute("select distinct gso_code from raw.portal_dossiers").fetchall() == [("01",)]


# ---- the loader's lock: reading outside it, only loader roles can take it -----------------------
@pytest.mark.fault
def test_files_are_read_before_the_ingest_lock_is_taken(fresh_database, tmp_path, reliability):
    """While another ingest holds the lock, a load reads and copies its whole file and waits only to
    commit."""
    from ingest.runtime import load_audit

    export = write_export(tmp_path / "export.csv", 20_000, "READ")
    with reliability.fault("the ingest lock held by another ingest while a file loads") as case:
        case.count_lost_rows(lambda: 20_000 - raw_counts(fresh_database)[1])
        with load_audit.exclusive_ingest(fresh_database):
            proc = start_cli("ingest", "--no-gate", str(export), env=cli_env(fresh_database, tmp_path))
            try:
                deadline = time.monotonic() + HANG_LIMIT
                with psycopg.connect(fresh_database, autocommit=True) as conn:
                    while not conn.execute(
                            "select 1 from pg_stat_activity where datname = current_database()"
                            " and wait_event_type = 'Lock' and query ilike '%%audit.ingest_lock%%'").fetchone():
                        assert proc.poll() is None and time.monotonic() < deadline, "never waited for the lock"
                        time.sleep(0.02)
                    # The waiting session has already written into raw (its COPY holds the table's
                    # row-exclusive lock): the file is read, only the commit is left.
                    copied = conn.execute(
                        "select count(*) from pg_locks as l join pg_stat_activity as a using (pid)"
                        " where a.wait_event_type = 'Lock' and a.query ilike '%%audit.ingest_lock%%'"
                        " and l.relation = 'raw.portal_dossiers'::regclass and l.granted").fetchone()[0]
                    status = conn.execute("select status from audit.loads").fetchone()[0]
                assert copied == 1 and status == "started" and raw_counts(fresh_database) == (0, 0)
            except BaseException:
                proc.kill()
                raise
        out, err = proc.communicate(timeout=HANG_LIMIT)
        assert proc.returncode == 0, out + err
        assert raw_counts(fresh_database) == (20_000, 20_000)


@pytest.mark.fault
def test_a_read_only_role_cannot_stall_ingestion(fresh_database, tmp_path, reliability):
    from ingest.runtime import load_audit, migrate, warehouse

    export = write_export(tmp_path / "export.csv", 50, "STALL")
    with reliability.fault("bi_reader and auditor take every lock they can before an ingest") as case:
        case.count_lost_rows(lambda: 50 - raw_counts(fresh_database)[1])
        with psycopg.connect(warehouse.role_url(fresh_database, "bi_reader", environ={}), autocommit=True) as reader, \
                psycopg.connect(warehouse.role_url(fresh_database, "auditor", environ={}),
                                autocommit=True) as auditor:
            # Every advisory lock the loader ever used (ingest, per-load ids, migrations): open to any role.
            reader.execute("select pg_advisory_lock(7302)")
            reader.execute("select pg_advisory_lock(7301, n) from generate_series(1, 50) as n")
            reader.execute("select pg_advisory_lock(%s)", (migrate.MIGRATION_LOCK_KEY,))
            for conn in (reader, auditor):
                with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                    conn.execute("lock table audit.ingest_lock in exclusive mode")
            with pytest.raises(psycopg.errors.InsufficientPrivilege), auditor.transaction():
                auditor.execute("lock table audit.loads in share row exclusive mode")
            auditor.execute("begin")
            auditor.execute("lock table audit.loads in access share mode")   # all that select allows
            started = time.monotonic()
            proc = parwh(fresh_database, tmp_path, "ingest", "--no-gate", str(export))
            assert proc.returncode == 0, proc.stdout + proc.stderr
            assert time.monotonic() - started < HANG_LIMIT
            auditor.execute("rollback")
        assert raw_counts(fresh_database) == (50, 50)
        assert load_audit.INGEST_LOCK_WAIT_SECONDS > HANG_LIMIT   # so the test above proves no waiting at all


# ---- statistics after a big batch ---------------------------------------------------------------
def test_a_batch_that_adds_many_rows_analyzes_raw(fresh_database, tmp_path):
    def last_analyzed() -> dict[str, object]:
        with psycopg.connect(fresh_database) as conn:
            return dict(conn.execute("select relname, last_analyze from pg_stat_user_tables"
                                     " where schemaname = 'raw' and relname like 'portal_dossier%%'").fetchall())

    proc = parwh(fresh_database, tmp_path, "ingest", "--no-gate", str(write_export(tmp_path / "big.csv", 2_000, "AN")))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first = last_analyzed()
    assert first["portal_dossiers"] is not None and first["portal_dossier_events"] is not None
    time.sleep(0.5)
    proc = parwh(fresh_database, tmp_path, "ingest", "--no-gate", str(write_export(tmp_path / "small.csv", 30, "SM")))
    assert proc.returncode == 0
    assert last_analyzed() == first, "30 rows on 2 000 are no reason to analyze again"


# ---- a build stopped by a signal leaves nothing running -----------------------------------------
@pytest.mark.fault
def test_a_terminated_build_ends_its_queries_and_gives_the_marts_back(fresh_database, tmp_path, reliability):
    """The test holds every seed table, so dbt's first statements wait on the server; the build is
    then sent SIGTERM. Its sessions must end with it (not linger until the lock goes) and the marts
    lease must be free."""
    seeds = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "dbt_project" / "seeds").glob("*.csv"))
    with psycopg.connect(fresh_database) as blocker:
        blocker.execute("create schema if not exists reference")
        for seed in seeds:
            blocker.execute(f'create table if not exists reference."{seed}" (placeholder text)')
        blocker.commit()
        for seed in seeds:
            blocker.execute(f'lock table reference."{seed}" in access exclusive mode')
        with reliability.fault("SIGTERM to `parwh build` while its queries run"):
            proc = start_cli("build", env=cli_env(fresh_database, tmp_path))
            name = f"parwh-dbt-{proc.pid}"
            try:
                deadline = time.monotonic() + 240
                with psycopg.connect(fresh_database, autocommit=True) as watch:
                    while not watch.execute("select 1 from pg_stat_activity where application_name = %s"
                                            " and wait_event_type = 'Lock'", (name,)).fetchone():
                        assert proc.poll() is None, proc.communicate()[1][-3000:]
                        assert time.monotonic() < deadline, "dbt never reached the seed tables"
                        time.sleep(0.1)
                    proc.send_signal(signal.SIGTERM)
                    out, err = proc.communicate(timeout=HANG_LIMIT)
                    assert proc.returncode == 143, out + err[-3000:]
                    assert "Traceback" not in err, err[-3000:]
                    left = watch.execute("select count(*) from pg_stat_activity where application_name = %s",
                                         (name,)).fetchone()[0]
                    holder = watch.execute("select holder from audit.marts_lease").fetchone()[0]
            finally:
                if proc.poll() is None:
                    proc.kill()
            assert left == 0, "the build's queries still run on the server after it ended"
            assert holder is None, "the marts lease was not given back"
        blocker.rollback()
