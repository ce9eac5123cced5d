"""The two ways a delivery can fail: the whole file (FileRejected) or one record (RowRejection)."""

from __future__ import annotations

from dataclasses import dataclass


class FileRejected(Exception):
    """The whole file cannot be loaded; reason_code is stable, message says what and where."""

    def __init__(self, reason_code: str, message: str):
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message


@dataclass
class RowRejection(Exception):
    """One record cannot be loaded; reason_code is stable, reason names the column and value."""

    reason_code: str
    reason: str
