"""Exceptions the gates raise; importing this module does not import Great Expectations."""

from __future__ import annotations


class GateFailed(RuntimeError):
    """A gate found a failed critical expectation; the message names expectation, column and keys.

    The mart gate's caller raises it (`result.raise_for_failure()`) so an Airflow task or the CLI
    stops the run. The raw gate does not raise: it quarantines the load instead.
    """


class GateError(RuntimeError):
    """The gate could not run at all (missing load, unreachable database, broken suite file).

    Distinct from GateFailed: no verdict was reached, so nothing was quarantined or passed.
    """
