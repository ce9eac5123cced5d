"""Where the test fixtures live, whichever folder a test module sits in."""

from pathlib import Path

from ingest.settings import PUBLICATIONS_DIR

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# The real publications ship with the project (the demo lands them too): one copy, read from there.
REAL_FIXTURES = PUBLICATIONS_DIR
