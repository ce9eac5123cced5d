"""Where the test fixtures live, whichever folder a test module sits in."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REAL_FIXTURES = FIXTURES / "real"
