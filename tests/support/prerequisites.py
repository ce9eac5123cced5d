"""A test's prerequisite that CI provides (PostgreSQL and Redis on loopback, the right to mount,
Chromium, setpriv): where it is missing, as on a developer's machine without it, the test is
skipped, saying which. Under CI (.ci/run sets PARWH_REQUIRE_PREREQS=1, after checking each one) the
test fails instead, so that a green run never hides a test that did not run."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE = "PARWH_REQUIRE_PREREQS"


def missing(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{reason} (a prerequisite this run must have: {REQUIRE}=1)", pytrace=False)
    pytest.skip(reason)
