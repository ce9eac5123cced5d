"""The progress bar of `parwh ingest`: bytes read of the file size, rows, rows/s."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ingest.cli import main
from ingest.landing import loader, progress
from tests.unit.landing.test_ingest_unit import PROVINCIAL_HEADER, provincial_row


def write_rows(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=PROVINCIAL_HEADER.split(","))
        writer.writeheader()
        for n in range(count):
            writer.writerow(provincial_row(**{"Mã hồ sơ": f"P-{n}", "STT": str(n + 1)}))
    return path


def test_a_line_says_how_far_in_bytes_rows_and_speed():
    line = progress.render("export.csv", 450_000, 90 * progress.MB, 200 * progress.MB, 3.0)
    assert "[###########" in line and " 45.0%" in line and "90.0/200.0 MB" in line
    assert "450,000 rows" in line and "150,000 rows/s" in line


def test_small_files_show_nothing_and_plain_streams_get_whole_lines():
    stream = io.StringIO()
    bar = progress.ProgressBar("small.csv", stream, tty=False)
    bar(10, 100, 1000)
    assert stream.getvalue() == ""
    bar = progress.ProgressBar("big.csv", stream, tty=False, min_bytes=0)
    bar(1, 10, 100)
    bar(2, 20, 100)        # within PLAIN_EVERY seconds of the last line: not printed
    bar(3, 100, 100)       # finished: always printed
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "10.0%" in lines[0] and "100.0%" in lines[1] and "\r" not in stream.getvalue()


def test_a_terminal_line_redraws_in_place_and_ends_with_a_newline():
    stream = io.StringIO()
    bar = progress.ProgressBar("big.csv", stream, tty=True, min_bytes=0)
    bar(1, 50, 100)
    bar(2, 100, 100)
    bar.close()
    text = stream.getvalue()
    assert text.startswith("\r") and text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1


def test_the_loader_reports_bytes_read_up_to_the_file_size(tmp_path, monkeypatch):
    monkeypatch.setenv("PARWH_PII_KEY", "progress-key")
    path = write_rows(tmp_path / "export.csv", 40_000)
    calls: list[tuple[int, int, int]] = []
    result = loader.land_file(None, path, dry_run=True, progress=lambda *args: calls.append(args))
    assert result.rows_read == 40_000
    assert len(calls) >= 3 and calls[-1] == (40_000, path.stat().st_size, path.stat().st_size)
    assert all(a[0] <= b[0] and a[1] <= b[1] for a, b in zip(calls, calls[1:], strict=False))
    assert 0 < calls[0][1] < path.stat().st_size


def test_parwh_ingest_draws_the_bar_on_stderr(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PARWH_PII_KEY", "progress-key")
    monkeypatch.setattr(progress, "PROGRESS_MIN_BYTES", 0)
    path = write_rows(tmp_path / "export.csv", 20_000)
    assert main(["ingest", "--dry-run", str(path)]) == 0
    captured = capsys.readouterr()
    assert "export.csv" in captured.err and "100.0%" in captured.err and "20,000 rows" in captured.err
    assert "rows/s" in captured.err and "rows/s" not in captured.out
