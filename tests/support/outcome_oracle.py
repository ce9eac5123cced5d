"""An independent Python reading of the outcome rules (DOMAIN.md §1), applied to the sample
generator's dossiers, to check the SQL marts against. Uses ingest.reference.working_days, not the SQL calendar."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta

from ingest.reference import working_days
from ingest.synthetic.sample import Dossier

NOT_JUDGED = {1, 3, 7, 8}
WORKING_HOURS_PER_DAY = 8
FINISHED = {9, 10}


def _paused_working_days(dossier: Dossier) -> int:
    return sum(
        working_days.working_days_between(s.requested_at.date(), s.received_at.date())
        for s in dossier.supplements if s.received_at
    )


def _working_days_used(dossier: Dossier, end: date) -> int:
    start = working_days.start_of_clock(dossier.received_at)
    used = working_days.working_day_number(end) - working_days.working_day_number(start) - _paused_working_days(dossier)
    return max(used, 0)


def _limit_in_working_days(dossier: Dossier) -> int | None:
    procedure = dossier.procedure
    if procedure.limit_unit == "hours":
        return math.ceil(procedure.limit_value / WORKING_HOURS_PER_DAY)
    return procedure.limit_value if procedure.limit_unit == "working_days" else None


def outcome(dossier: Dossier, as_of: date) -> str | None:
    if dossier.status in NOT_JUDGED or dossier.received_at is None:
        return None
    if dossier.status in FINISHED:
        finish = dossier.finished_at or dossier.returned_at
        if len(dossier.supplements) > 1:
            return "late"
        if dossier.due_at is None:
            limit = _limit_in_working_days(dossier)
            if limit is None:
                return None
            return "on_time" if _working_days_used(dossier, finish.date()) <= limit else "late"
        pause = sum((s.received_at - s.requested_at for s in dossier.supplements if s.received_at), timedelta())
        effective = (finish - pause).date()
        due = dossier.due_at.date()
        return "early" if effective < due else "on_time" if effective == due else "late"
    if dossier.due_at is None:
        limit = _limit_in_working_days(dossier)
        if limit is None:
            return None
        return "in_progress" if _working_days_used(dossier, as_of) <= limit else "overdue"
    return "in_progress" if as_of <= dossier.due_at.date() else "overdue"


def outcome_counts(dossiers: list[Dossier], as_of: date) -> Counter:
    return Counter(outcome(d, as_of) for d in dossiers)
