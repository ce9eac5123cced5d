"""Every `parwh` command given wrong arguments, bad settings and unreadable files, run as the user
runs it (the installed `parwh` script, a subprocess): each mistake is one line, never a
traceback, with the exit code docs/OPERATIONS.md documents (ingest/cli/common.py): 2 for a usage
or configuration error, before any work; 1 for a file that is rejected, reported in the
command's table with its reason on one line."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest

from ingest.cli.common import EXIT_FAILED, EXIT_USAGE

PARWH = Path(sys.executable).with_name("parwh")
# Each subcommand of `parwh` (ingest/cli/*.register): a test below must cover every one.
COMMANDS = ("warehouse", "keygen", "ingest", "publish", "build", "site", "status", "lease", "sample", "airflow",
            "demo")

WRONG_ARGUMENTS = [
    (), ("nonsense",),
    ("warehouse", "fly"), ("warehouse", "url", "--role", "king"), ("warehouse", "start", "--role", "bi_reader"),
    ("keygen", "extra"),
    ("ingest",), ("ingest", "--province", "99", "x.csv"), ("ingest", "no/such/file.csv"),
    ("publish", "--index", "XYZ", "x.xlsx"), ("publish", "--edition", "20x5", "x.xlsx"),
    ("publish", "no/such/PCI_2016.xlsx"),
    ("build", "--as-of", "2025-13-01"),
    ("site", "--bogus"),
    ("status", "--limit", "0"),
    ("lease", "--release", "now"),
    ("sample", "--until", "xx"),
    ("demo", "--dossiers", "-1"),
]
# Minimal valid arguments of each command: with a bad setting each must stop before any work.
VALID_ARGUMENTS = {
    "warehouse": ("warehouse", "url"), "keygen": ("keygen",), "ingest": ("ingest", "x.csv"),
    "publish": ("publish", "x.xlsx"), "build": ("build",), "site": ("site",), "status": ("status",),
    "lease": ("lease",), "sample": ("sample", "--out", "out"), "airflow": ("airflow", "version"), "demo": ("demo",),
}
NEEDS_THE_WAREHOUSE = ("warehouse", "publish", "build", "site", "status", "lease")


def parwh(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    settings = {"PARWH_HOME": str(cwd), "PARWH_LOCAL_DIR": str(cwd / ".local"), **(env or {})}
    return subprocess.run([str(PARWH), *args], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**os.environ, **settings})


def assert_one_line_error(proc: subprocess.CompletedProcess, exit_code: int) -> None:
    what = proc.args[1:]
    assert "Traceback" not in proc.stdout + proc.stderr, (what, proc.stderr)
    assert proc.returncode == exit_code, (what, proc.returncode, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("parwh"), (what, proc.stderr)
    assert proc.stdout == "", (what, proc.stdout)


def _run_all(cases: list[tuple[tuple[str, ...], dict[str, str]]], cwd: Path) -> list[subprocess.CompletedProcess]:
    with ThreadPoolExecutor(max_workers=3) as pool:   # each run mostly waits for imports
        return list(pool.map(lambda case: parwh(*case[0], cwd=cwd, env=case[1]), cases))


def test_every_command_is_covered():
    from ingest.cli.main import build_parser

    subcommands = next(a for a in build_parser()._actions if a.dest == "command").choices
    assert set(subcommands) == set(COMMANDS)
    # `parwh airflow` hands any arguments to airflow: only its settings can be wrong.
    assert {args[0] for args in WRONG_ARGUMENTS if args and args[0] in COMMANDS} == set(COMMANDS) - {"airflow"}
    assert set(VALID_ARGUMENTS) == set(COMMANDS)


def test_wrong_arguments_are_one_line_and_exit_2(tmp_path):
    for proc in _run_all([(args, {}) for args in WRONG_ARGUMENTS], tmp_path):
        assert_one_line_error(proc, EXIT_USAGE)


def test_a_bad_setting_stops_every_command_before_any_work(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp_path / "x.xlsx").write_bytes(b"not a workbook")
    cases = [(args, {"PARWH_TASK_RETRIES": "x"}) for args in VALID_ARGUMENTS.values()]
    cases += [(VALID_ARGUMENTS["status"], {name: value})
              for name, value in (("PARWH_MAX_COLUMNS", "-1"), ("PARWH_OFFICE_HOURS_CUTOFF", "25:99"))]
    for (args, env), proc in zip(cases, _run_all(cases, tmp_path), strict=True):
        assert_one_line_error(proc, EXIT_USAGE)
        assert next(iter(env)) in proc.stderr, args
    assert not (tmp_path / "out").exists() and not (tmp_path / ".local" / "pii.key").exists()


def test_a_warehouse_url_that_is_not_one_is_a_usage_error(tmp_path):
    (tmp_path / "x.xlsx").write_bytes(b"not a workbook")
    cases = [(VALID_ARGUMENTS[command], {"WAREHOUSE_URL": "localhost:5432/parwh"}) for command in NEEDS_THE_WAREHOUSE]
    for (args, _), proc in zip(cases, _run_all(cases, tmp_path), strict=True):
        assert_one_line_error(proc, EXIT_USAGE)
        assert "is not a postgresql:// URL" in proc.stderr, args


def _unreadable_files(folder: Path) -> dict[str, str]:
    """File name -> the reason code its rejection must name."""
    noise = bytes(range(256)) * 8
    for name in ("noise.xlsx", "noise.xls", "noise.json", "noise.csv"):
        (folder / name).write_bytes(noise)
    (folder / "empty.json").write_bytes(b"")
    (folder / "gone.xlsx").symlink_to(folder / "nowhere.xlsx")
    book = openpyxl.Workbook()
    book.active.append(["Tên", "Điểm"])
    book.active.append(["Hà Nội", 7.5])
    book.save(folder / "table.xlsx")
    return {"noise.xlsx": "unreadable_spreadsheet", "noise.xls": "unreadable_spreadsheet",
            "noise.json": "unreadable_json", "noise.csv": "unreadable_file", "empty.json": "unreadable_json",
            "gone.xlsx": "", "table.xlsx": "unrecognised_publication"}


@pytest.mark.warehouse
def test_publish_rejects_each_unreadable_file_in_one_line_and_exits_1(fresh_database, tmp_path):
    expected = _unreadable_files(tmp_path)
    env = {"WAREHOUSE_URL": fresh_database}
    cases = [(("publish", name), env) for name in expected]
    for (args, _), proc in zip(cases, _run_all(cases, tmp_path), strict=True):
        name = args[1]
        assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
        assert (proc.returncode, proc.stderr) == (EXIT_FAILED, ""), (name, proc.stderr)
        status, reason = proc.stdout.splitlines()   # the file's line, then its reason on one line
        assert status.startswith(name) and status.rstrip().endswith("rejected"), proc.stdout
        assert name in reason and expected[name] in reason, proc.stdout


@pytest.mark.warehouse
def test_ingest_rejects_each_unreadable_file_in_one_line_and_exits_1(fresh_database, tmp_path):
    _unreadable_files(tmp_path)
    env = {"WAREHOUSE_URL": fresh_database, "PARWH_PII_KEY": "cli-errors-test-key"}
    names = ("noise.xlsx", "noise.xls", "noise.json", "noise.csv", "empty.json", "gone.xlsx")
    cases = [(("ingest", name), env) for name in names]
    for (args, _), proc in zip(cases, _run_all(cases, tmp_path), strict=True):
        name = args[1]
        assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
        assert proc.returncode == EXIT_FAILED, (name, proc.stdout, proc.stderr)
        header, rule, status, reason = proc.stdout.splitlines()
        assert status.startswith(name) and status.rstrip().endswith("rejected"), proc.stdout
        assert reason.strip().startswith(f"{name}: "), proc.stdout


def test_a_fault_of_parwh_itself_is_still_one_line_and_its_traceback_only_with_v(monkeypatch, capsys):
    from ingest.cli import main, marts

    def broken(args):
        raise RuntimeError("a fault\nover two lines")

    monkeypatch.setattr(marts, "cmd_status", broken)
    assert main(["status"]) == EXIT_FAILED
    assert capsys.readouterr().err == (
        "parwh: error: unexpected RuntimeError: a fault over two lines (-v shows where)\n")
    assert main(["-v", "status"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert err.splitlines()[-1] == "parwh: error: unexpected RuntimeError: a fault over two lines"
