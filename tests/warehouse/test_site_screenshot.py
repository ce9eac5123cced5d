"""The report site as a browser shows it: headless Chromium (Debian's `chromium`) opens
site/index.html from file://, with no network, built from a fresh warehouse by the real loader
and the real gates (a good load with a rejected row and a quarantined load, after an earlier run).

--dump-dom gives the DOM Chromium built: the run history, a rejection reason and a Data Docs
link must be in it. --screenshot gives a PNG, decoded here with zlib and struct: it must have
the window's size and real content (many colours, ink on most rows), not a blank page.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from expectations import run_raw_gate
from ingest.landing import loader
from ingest.reporting import report_site
from tests.unit.landing.test_ingest_unit import provincial_row
from tests.warehouse.test_quarantine_flow import NO_SUPPLEMENT, RUN_ID, land_night, write_provincial_csv

pytestmark = pytest.mark.warehouse

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium")
WINDOW = (1280, 2400)
EARLIER_RUN = "scheduled__2026-11-19T19:00:00+00:00"


def chromium() -> str:
    """Debian's chromium; the test fails (not skips) without it, saying how to install it."""
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    pytest.fail(
        "headless Chromium is needed for the report-site screenshot test but was not found at /usr/bin/chromium "
        "or on PATH: install Debian's package with `apt-get install -y chromium` (CI installs it)",
        pytrace=False,
    )


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-3000:]}"
    return done


# ---- PNG, decoded with the standard library ----------------------------------------------------
def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def read_png(path: Path) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    position, idat, header = 8, b"", None
    while position < len(data):
        (length,), kind = struct.unpack(">I", data[position:position + 4]), data[position + 4:position + 8]
        chunk = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        position += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unexpected PNG format {header}"
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = zlib.decompress(idat)
    rows, previous = [], bytes(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, up_left = previous[x], previous[x - channels] if x >= channels else 0
            predictor = (0, left, up, (left + up) // 2, _paeth(left, up, up_left))[kind]
            line[x] = (line[x] + predictor) & 0xFF
        rows.append(bytes(line))
        previous = rows[-1]
    return width, height, rows


def pixels(row: bytes, channels: int) -> set[bytes]:
    return {row[i:i + 3] for i in range(0, len(row), channels)}


class Anchors(HTMLParser):
    def __init__(self, markup: str):
        super().__init__()
        self.anchors: list[tuple[str, str]] = []
        self._href: str | None = None
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")
            self.anchors.append((self._href or "", ""))

    def handle_data(self, data):
        if self._href is not None and self.anchors:
            href, text = self.anchors[-1]
            self.anchors[-1] = (href, text + data)

    def handle_endtag(self, tag):
        if tag == "a":
            self._href = None


@pytest.fixture
def site(fresh_database, tmp_path, monkeypatch) -> tuple[Path, object]:
    chromium()  # fail at once, before building anything, when the browser is missing
    monkeypatch.setenv("PARWH_PII_KEY", "test-key-not-secret")
    url = fresh_database
    site_dir, gx_root = tmp_path / "site", tmp_path / "gx"
    earlier = loader.land_file(url, write_provincial_csv(tmp_path / "portal_hcm_2026-11-19.csv", [
        provincial_row(**{**NO_SUPPLEMENT, "Mã hồ sơ": "E-OLD-1"})]), run_id=EARLIER_RUN)
    run_raw_gate(url, earlier.load_id, EARLIER_RUN, site_dir=site_dir, gx_root=gx_root)
    night = land_night(url, tmp_path / "landing", site_dir=site_dir, gx_root=gx_root)
    report_site.build(url, site_dir=site_dir)
    return site_dir, night


def test_chromium_shows_run_history_rejection_reason_and_data_docs_link(site, tmp_path):
    site_dir, night = site
    index_url = (site_dir / "index.html").as_uri()

    dom = run_chromium(tmp_path, "--dump-dom", index_url).stdout
    anchors = Anchors(dom).anchors
    text = " ".join(dom.split())

    assert "<h2 id=\"runs\">Run history</h2>" in dom
    history = text[text.index('id="runs"'):text.index('id="loads"')]
    assert RUN_ID in history and EARLIER_RUN in history
    assert "unknown_status × 1" in text                      # the rejection reason of the good load
    assert "supplement_received_not_before_requested" in text  # why the bad load was quarantined
    docs = [(href, label) for href, label in anchors if href.startswith("data_docs/validations/")]
    assert ("data_docs/index.html", "Data Docs (Great Expectations)") in anchors
    assert any(label == "portal_dossier_events" for _, label in docs), docs
    for href, _ in docs:
        assert (site_dir / unquote(href)).is_file(), href

    # The linked Data Docs page of the quarantined load's events opens offline too.
    events_page = site_dir / unquote(next(
        href for href, label in docs if label == "portal_dossier_events" and f"_load_{night.bad.load_id}" in href))
    events_dom = run_chromium(tmp_path, "--dump-dom", events_page.as_uri()).stdout
    assert "raw_portal_dossier_events" in events_dom


def test_screenshot_of_the_site_is_a_real_page(site, tmp_path):
    site_dir, _ = site
    shot = tmp_path / "site.png"
    run_chromium(tmp_path, f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}", "--hide-scrollbars",
                 (site_dir / "index.html").as_uri())

    assert shot.is_file() and shot.stat().st_size > 20_000
    width, height, rows = read_png(shot)
    assert (width, height) == WINDOW
    channels = len(rows[0]) // width
    colours = set().union(*(pixels(row, channels) for row in rows[::10]))
    assert len(colours) > 50, f"only {len(colours)} colours: the page looks blank"
    white = b"\xff\xff\xff"
    inked = sum(1 for row in rows[: height // 2] if pixels(row, channels) - {white})
    assert inked > height // 8, f"only {inked} rows of the top half carry anything"
    # The dark header band is drawn at the top: the page's own CSS was applied.
    assert rows[5][:3] == rows[5][channels * 600: channels * 600 + 3] and max(rows[5][:3]) < 0x40
