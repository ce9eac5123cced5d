"""The parwh command line: exit codes, the per-file table, clear errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from ingest.cli import main
from ingest.synthetic import sample
from tests.unit.landing.test_ingest_unit import provincial_row
from tests.warehouse.test_loader import write_provincial_csv


def run_cli(*args: str, env_overrides: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, **(env_overrides or {})}
    return subprocess.run([sys.executable, "-m", "ingest.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_usage_errors_exit_2():
    with pytest.raises(SystemExit) as err:
        main(["ingest"])
    assert err.value.code == 2


def test_warehouse_url_prints_the_configured_url(monkeypatch, capsys):
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://etl:secret@db.example:5433/parwh")
    from ingest.cli import warehouse as warehouse_commands

    monkeypatch.setattr(warehouse_commands, "warehouse_url",
                        lambda apply_migrations=True: "postgresql://etl:secret@db.example:5433/parwh")
    assert main(["warehouse", "url"]) == 0
    assert capsys.readouterr().out.strip() == "postgresql://etl:secret@db.example:5433/parwh"


def test_unreachable_warehouse_is_a_clear_error_not_a_traceback(tmp_path):
    proc = run_cli("ingest", str(tmp_path), env_overrides={"WAREHOUSE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    # an empty folder needs no warehouse; a file does
    assert proc.returncode == 0
    (tmp_path / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    proc = run_cli("ingest", str(tmp_path / "x.csv"), env_overrides={
        "WAREHOUSE_URL": "postgresql://nobody@127.0.0.1:1/none", "PARWH_PII_KEY": "k"})
    assert proc.returncode == 2
    assert "cannot connect to the warehouse" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_file_is_a_usage_error():
    proc = run_cli("ingest", "/no/such/file.csv")
    assert proc.returncode == 2 and "no such file" in proc.stderr and "Traceback" not in proc.stderr


def test_sample_writes_labelled_synthetic_files(tmp_path):
    assert main(["sample", "--dossiers", "30", "--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names and all(n.startswith("synthetic_") for n in names)


@pytest.mark.warehouse
def test_ingest_prints_a_table_and_exits_1_when_a_file_is_rejected(fresh_database, tmp_path):
    good = write_provincial_csv(tmp_path / "good.csv", [provincial_row()])
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing,we,know\n1,2,3\n", encoding="utf-8")
    env = {"WAREHOUSE_URL": fresh_database, "PARWH_PII_KEY": "cli-test", "PARWH_SITE_DIR": str(tmp_path / "site"),
           "PARWH_LOCAL_DIR": str(tmp_path / "local")}
    proc = run_cli("ingest", str(good), str(bad), env_overrides=env)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["file", "profile", "read", "loaded", "rejected", "status"]
    assert any(line.startswith("good.csv") and line.rstrip().endswith("loaded") for line in lines)
    assert any(line.startswith("bad.csv") and line.rstrip().endswith("rejected") for line in lines)
    assert any("unknown_layout" in line for line in lines)
    with psycopg.connect(fresh_database) as conn:
        assert conn.execute("select gate_outcome from audit.loads where file_name = 'good.csv'").fetchone()[0] == "pass"
    # the files stay where they are: they were not in the landing folder
    assert good.exists() and bad.exists()


@pytest.mark.warehouse
def test_ingest_of_the_landing_folder_archives_and_quarantines(fresh_database, tmp_path):
    landing = tmp_path / "landing"
    sample.generate(landing, 25, seed=3)
    (landing / "broken.csv").write_text("", encoding="utf-8")
    env = {"WAREHOUSE_URL": fresh_database, "PARWH_PII_KEY": "cli-test", "PARWH_LANDING_DIR": str(landing),
           "PARWH_ARCHIVE_DIR": str(tmp_path / "archive"), "PARWH_QUARANTINE_DIR": str(tmp_path / "quarantine"),
           "PARWH_SITE_DIR": str(tmp_path / "site"), "PARWH_LOCAL_DIR": str(tmp_path / "local")}
    proc = run_cli("ingest", str(landing), env_overrides=env)
    assert proc.returncode == 1
    assert not any(landing.iterdir())
    assert (tmp_path / "quarantine" / "broken.csv").exists()
    why = Path(tmp_path / "quarantine" / "broken.csv.why.txt").read_text(encoding="utf-8")
    assert "empty_file" in why
    archived = [p for p in (tmp_path / "archive").rglob("*") if p.is_file()]
    assert len(archived) == len(proc.stdout.splitlines()) - 2 - 1 - 1  # header, rule, broken row, its reason
