"""Memory per CSV record is bounded by the limits as the record is read, not by what the file holds.

One long line of short fields used to take some 24 times its size (a list of millions of small
strings: 200 MB of line, 4.8 GB of memory). Each case reads a 24 MB line in a fresh interpreter and
compares its peak resident memory before and after: the line is rejected as one record
(`record_too_large`) without being split into fields, and the rows around it still come through.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.settings import PROJECT_ROOT
from tests.unit.landing.test_ingest_unit import PROVINCIAL_HEADER, provincial_row

LINE_FIELDS = 8 << 20          # "ab," x 8 Mi: a 24 MiB line
PROBE = """
import resource, sys
from pathlib import Path
from ingest.landing import readers
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rows = [(number, type(row).__name__, len(row)) for number, row in readers.open_file(Path(sys.argv[1])).rows]
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024, rows)
"""


@pytest.fixture(scope="module")
def long_line_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("long_line") / "long_line.csv"
    record = ",".join(provincial_row(**{"Lệ phí": "1"}).values())
    with path.open("w", encoding="utf-8") as fh:
        fh.write(f"{PROVINCIAL_HEADER}\n{record}\n")
        fh.write("ab," * LINE_FIELDS + "ab\n")
        fh.write(record.replace("H29.1-250304-0001", "H29.1-250304-0002") + "\n")
    return path


@pytest.mark.parametrize(("settings", "at_most_bytes"), [
    ({}, 48 << 20),                                    # defaults: read up to PARWH_MAX_LINE_CHARS (16 M), then skipped
    ({"PARWH_MAX_LINE_CHARS": "1000000"}, 8 << 20),    # the limit, not the line, bounds what is held
], ids=["default limits", "PARWH_MAX_LINE_CHARS=1000000"])
@pytest.mark.bad_input
def test_a_long_line_of_short_fields_is_rejected_without_being_split(long_line_file, settings, at_most_bytes,
                                                                     reliability):
    with reliability.bad_input(f"a 24 MB line of short fields ({settings or 'default limits'})"):
        env = {**os.environ, **settings, "PYTHONPATH": str(PROJECT_ROOT)}
        done = subprocess.run([sys.executable, "-c", PROBE, str(long_line_file)], env=env, capture_output=True,
                              text=True, timeout=120, check=True)
        grown, rows = done.stdout.split(" ", 1)
        assert int(grown) < at_most_bytes, f"peak memory grew by {int(grown) >> 20} MiB reading a 24 MiB line"
        assert rows.strip() == "[(1, 'list', 27), (2, 'BrokenRow', 0), (3, 'list', 27)]"
