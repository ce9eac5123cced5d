"""Synthetic dossiers: one random.Random(seed) decides every choice, so the same (seed, until)
always gives the same dossiers. Receipts, due dates in working days, supplements, processing
steps and the 2025 province reorganisation follow the domain rules (docs/DOMAIN.md)."""

from __future__ import annotations

import csv
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from ingest.reference import working_days
from ingest.synthetic.vocabulary import (
    AGENCY_PREFIX,
    BIRTH_PROVINCES,
    COMMUNES,
    CROSSWALK_FILE,
    DEFAULT_SEED,
    DEFAULT_UNTIL,
    DEPARTMENTS,
    DUE_TIME,
    EARLIEST_UNTIL,
    EXPORT_FORMAT,
    FORCED_TERRITORIES,
    GIVEN_NAMES,
    HOURS_PER_WORKING_DAY,
    LATEST_UNTIL,
    MIDDLE_NAMES,
    MISSING_DUE_SHARE,
    OUTCOME_PLAN,
    PROCEDURES,
    RECEIPTS_FROM,
    REORGANISATION_DAY,
    SAME_DAY_BEFORE,
    SAMPLE_CUTOFF,
    STATUS_LABELS,
    SUPPLEMENT_SHARE_FINISHED,
    SURNAMES,
    TERRITORY_WEIGHTS,
    Procedure,
)


@dataclass
class Supplement:
    requested_at: datetime
    received_at: datetime | None
    previous_due_at: datetime | None
    new_due_at: datetime | None


@dataclass
class Step:
    department: str
    handler: str
    at: datetime
    status: int
    step_due_at: datetime | None


@dataclass
class Dossier:
    territory: str
    export_code: str
    list_version: str
    procedure: Procedure
    agency_code: str
    agency_name: str
    channel: int
    status: int
    status_label: str
    submitted_at: datetime
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None = None
    returned_at: datetime | None = None
    refused_at: datetime | None = None
    paid_online: int = 0
    has_digitised_components: bool = False
    has_electronic_result: bool = False
    applicant_name: str = ""
    applicant_id: str = ""
    supplements: list[Supplement] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    code: str = ""

    @property
    def reference_at(self) -> datetime:
        """Receipt (or, not yet received, submission): fixes the province code and the file year."""
        return self.received_at or self.submitted_at

    @property
    def export_format(self) -> str:
        return EXPORT_FORMAT[self.export_code]


def read_crosswalk(path: Path = CROSSWALK_FILE) -> dict[str, dict[str, str]]:
    """Old GSO code -> its crosswalk row (new_code, old_name, new_name, role, ...)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["old_code"]: row for row in csv.DictReader(handle)}


def list_version_on(day: date) -> str:
    return "2004" if day < REORGANISATION_DAY else "2025"


def province_code_on(territory: str, day: date, crosswalk: dict[str, dict[str, str]] | None = None) -> str:
    """The GSO code a dossier of this (pre-2025) territory carries on `day`."""
    if day < REORGANISATION_DAY:
        return territory
    return (crosswalk or read_crosswalk())[territory]["new_code"]


def statutory_due_date(procedure: Procedure, received_at: datetime) -> date:
    """NgayHenTra's date as the source systems compute it from the receipt."""
    clock = working_days.start_of_clock(received_at, SAMPLE_CUTOFF)
    if procedure.limit_unit == "working_days":
        return working_days.add_working_days(clock, procedure.limit_value)
    whole_days = math.ceil(procedure.limit_value / HOURS_PER_WORKING_DAY) - 1
    late_receipt = clock == received_at.date() and received_at.time() >= SAME_DAY_BEFORE
    return working_days.add_working_days(clock, whole_days + int(late_receipt))


def _plan_counts(dossiers: int) -> list[int]:
    """Largest-remainder split of `dossiers` over OUTCOME_PLAN, every slot at least once when possible."""
    exact = [share * dossiers for _, _, share in OUTCOME_PLAN]
    counts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: dossiers - sum(counts)]:
        counts[i] += 1
    for i in range(len(counts)):  # OUTCOME_PLAN is ordered by share, so the rarest slots go last
        if counts[i] == 0:
            donor = max(range(len(counts)), key=lambda j: (counts[j], -j))
            if counts[donor] <= 1:
                break
            counts[donor] -= 1
            counts[i] += 1
    return counts


class _Generator:
    def __init__(self, rng: random.Random, until: date) -> None:
        self.rng = rng
        self.until = until
        self.until_end = datetime.combine(until, time(23, 59, 59))
        self.earliest = datetime.combine(RECEIPTS_FROM, time(0, 0))
        self.crosswalk = read_crosswalk()
        self.sequences: dict[tuple[str, str], int] = defaultdict(int)
        self.agencies = self._agency_table()

    # -- reference tables ------------------------------------------------------------------------
    def _province_display(self, export_code: str, version: str) -> str:
        if version == "2004":
            name = self.crosswalk[export_code]["old_name"]
        else:
            name = next(r["new_name"] for r in self.crosswalk.values() if r["new_code"] == export_code)
        if name.startswith("Tỉnh "):
            return "tỉnh " + name.removeprefix("Tỉnh ")
        return name if name.startswith("Thành phố ") else f"tỉnh {name}"

    def _agency_table(self) -> dict[tuple[str, str, str], tuple[str, str]]:
        """(territory or export code, version, department key or commune name) -> (code, name)."""
        table: dict[tuple[str, str, str], tuple[str, str]] = {}
        for (export_code, version), prefix in AGENCY_PREFIX.items():
            province = self._province_display(export_code, version)
            for key, (number, old_name, new_name) in DEPARTMENTS.items():
                department = old_name if version == "2004" else new_name
                table[(export_code, version, key)] = (f"{prefix}.{number}", f"{department} {province}")
            # Communes are renumbered with the 2025 reform (201.. before, 301.. after).
            number = 201 if version == "2004" else 301
            for territory in sorted(TERRITORY_WEIGHTS):
                if province_code_on(territory, _first_day_of(version), self.crosswalk) != export_code:
                    continue
                for commune in COMMUNES[(territory, version)]:
                    table[(territory, version, commune)] = (f"{prefix}.{number}", f"UBND {commune}")
                    number += 1
        return table

    # -- random helpers --------------------------------------------------------------------------
    def _person(self) -> str:
        rng = self.rng
        return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"

    def _citizen_id(self) -> str:
        rng = self.rng
        return f"{rng.choice(BIRTH_PROVINCES)}{rng.randint(0, 3)}{rng.randint(0, 99):02d}{rng.randint(0, 999999):06d}"

    def _office_moment(self, day: date, after: datetime | None = None) -> datetime:
        """A time in office hours (07:30 to before 17:00) on `day`, strictly after `after` when given."""
        start = datetime.combine(day, time(7, 30))
        end = datetime.combine(day, time(17, 0))
        if after is not None and after >= start:
            start = after + timedelta(minutes=1)
        if start >= end:
            return start + timedelta(seconds=self.rng.randint(60, 1800))
        return start + timedelta(seconds=self.rng.randint(0, int((end - start).total_seconds()) - 1))

    def _channel(self, procedure: Procedure) -> int:
        weights = {"full_online": (25, 72, 3), "partial_online": (50, 45, 5), "not_online": (90, 0, 10)}
        return self.rng.choices((1, 2, 3), weights[procedure.online_level])[0]

    def _receipt(self, channel: int, first: date, last: date) -> datetime | None:
        rng = self.rng
        day = first + timedelta(days=rng.randint(0, (last - first).days))
        if channel == 2 and rng.random() < 0.3:
            # Some online systems receive automatically, at night and at weekends too.
            return datetime.combine(day, time(0, 0)) + timedelta(seconds=rng.randint(0, 86399))
        if not working_days.is_working_day(day):
            day = working_days.next_working_day(day)
            if day > last:
                return None
        # Desks open 07:30-17:30: receipts after 17:00 exercise the office-hours cutoff.
        return datetime.combine(day, time(7, 30)) + timedelta(seconds=rng.randint(0, 10 * 3600 - 1))

    def _submission(self, channel: int, received_at: datetime) -> datetime:
        if channel != 2:
            return received_at
        delay = timedelta(minutes=self.rng.choice((self.rng.randint(0, 5), self.rng.randint(10, 3 * 24 * 60))))
        return max(received_at - delay, self.earliest)

    # -- one dossier -----------------------------------------------------------------------------
    def dossier(self, territory: str, status: int, outcome: str | None) -> Dossier:
        for _ in range(1000):
            built = self._try_dossier(territory, status, outcome)
            if built is not None:
                self._assign_code(built)
                return built
        raise RuntimeError(f"could not place a dossier with status {status} ({outcome}) before {self.until}")

    def _try_dossier(self, territory: str, status: int, outcome: str | None) -> Dossier | None:
        rng = self.rng
        eligible = [
            p for p in PROCEDURES
            if (status != 1 or p.online_level != "not_online")
            and (outcome not in ("within", "overdue") or p.limit_unit == "working_days")
        ]
        procedure = rng.choices(eligible, [p.weight for p in eligible])[0]
        channel = 2 if status == 1 else self._channel(procedure)

        if status == 1:
            day = max(self.until - timedelta(days=rng.randint(0, 3)), RECEIPTS_FROM)
            submitted = datetime.combine(day, time(0, 0)) + timedelta(seconds=rng.randint(0, 86399))
            received = None
        elif outcome in ("within", "overdue"):
            received = self._open_receipt(procedure, outcome)
            if received is None:
                return None
            submitted = self._submission(channel, received)
        else:
            received = self._receipt(channel, RECEIPTS_FROM, self.until)
            if received is None:
                return None
            submitted = self._submission(channel, received)

        reference = received or submitted
        version = list_version_on(reference.date())
        export_code = province_code_on(territory, reference.date(), self.crosswalk)
        if procedure.level == "commune":
            key = (territory, version, rng.choice(COMMUNES[(territory, version)]))
        else:
            key = (export_code, version, procedure.department or "")
        agency_code, agency_name = self.agencies[key]

        due_date = statutory_due_date(procedure, received) if received else None
        due_at = datetime.combine(due_date, DUE_TIME) if due_date else None
        dossier = Dossier(
            territory=territory, export_code=export_code, list_version=version, procedure=procedure,
            agency_code=agency_code, agency_name=agency_name, channel=channel, status=status,
            status_label=rng.choice(STATUS_LABELS[status]), submitted_at=submitted, received_at=received,
            due_at=due_at, applicant_name=self._person(), applicant_id=self._citizen_id(),
        )
        missing_due = received is not None and rng.random() < MISSING_DUE_SHARE
        if received is not None:
            dossier.steps.append(Step("Bộ phận Một cửa", self._person(), received, 2, due_at))
        if status in (9, 10):
            placed = self._finish(dossier, outcome or "", with_supplements=not missing_due)
        elif status in (2, 4, 5, 6):
            placed = self._keep_open(dossier)
        elif status in (3, 7, 8):
            placed = self._end_early(dossier)
        else:
            placed = True
        if not placed:
            return None

        if procedure.fee and channel == 2:
            dossier.paid_online = rng.choices((0, 1, 2), (30, 45, 25))[0]
        if received is not None:
            dossier.has_digitised_components = rng.random() < (0.8 if channel == 2 else 0.45)
        if missing_due:
            dossier.due_at = None
            for step in dossier.steps:
                step.step_due_at = None
            for supplement in dossier.supplements:
                supplement.previous_due_at = None
        return dossier

    def _open_receipt(self, procedure: Procedure, outcome: str) -> datetime | None:
        """Receipt of a dossier still open at `until`: due after it (within) or before it (overdue)."""
        last_number = working_days.working_day_number(self.until)
        limit = procedure.limit_value
        if outcome == "within":
            number = last_number - self.rng.randint(0, limit - 1)
        else:
            number = last_number - limit - self.rng.randint(1, 60)
        day = working_days.working_day_numbered(number)
        if day < RECEIPTS_FROM:
            return None
        # Before 17:00, so the clock starts that day and the due date is exactly `limit` days on.
        return self._office_moment(day)

    def _finish(self, dossier: Dossier, outcome: str, with_supplements: bool) -> bool:
        rng = self.rng
        assert dossier.received_at is not None and dossier.due_at is not None
        clock = working_days.start_of_clock(dossier.received_at, SAMPLE_CUTOFF)
        due_date = dossier.due_at.date()
        if outcome == "early":
            spare = working_days.working_days_between(clock, due_date) - 1
            if spare < 0:
                return False  # due the day the clock starts: cannot finish earlier
            used = rng.randint(0, spare)
        elif outcome == "on_time":
            used = working_days.working_days_between(clock, due_date)
        else:
            used = working_days.working_days_between(clock, due_date) + rng.randint(1, 12)

        paused = 0
        last_event = dossier.received_at
        if with_supplements and used >= 1 and rng.random() < SUPPLEMENT_SHARE_FINISHED:
            # More than one request always counts as late (DOMAIN §1), so only late dossiers get two.
            requests = 2 if outcome == "late" and used >= 2 and rng.random() < 0.3 else 1
            previous_due = dossier.due_at
            for offset in sorted(rng.sample(range(1, used + 1), requests)):
                pause = rng.randint(1, 10)
                requested = self._office_moment(working_days.add_working_days(clock, offset + paused))
                received = self._office_moment(working_days.add_working_days(requested.date(), pause))
                new_due = datetime.combine(working_days.add_working_days(previous_due.date(), pause), DUE_TIME)
                dossier.supplements.append(Supplement(requested, received, previous_due, new_due))
                dossier.steps.append(Step("Phòng chuyên môn", self._person(), requested, 5, previous_due))
                previous_due = new_due
                paused += pause
                last_event = received

        finish_day = working_days.add_working_days(working_days.add_working_days(clock, used), paused)
        # The specialist's draft and the leader's approval happen on the finishing day.
        drafted = self._office_moment(finish_day, after=last_event)
        finished = self._office_moment(finish_day, after=drafted)
        if finished > self.until_end:
            return False
        dossier.steps.append(Step("Phòng chuyên môn", self._person(), drafted, 4, dossier.due_at))
        dossier.steps.append(Step("Lãnh đạo phê duyệt", self._person(), finished, 9, dossier.due_at))
        dossier.finished_at = finished
        if dossier.status == 10:
            returned = self._office_moment(working_days.add_working_days(finish_day, rng.randint(0, 2)), finished)
            if returned > self.until_end:
                returned = finished + timedelta(minutes=rng.randint(5, 30))
            if returned > self.until_end:
                return False
            dossier.returned_at = returned
            dossier.steps.append(Step("Bộ phận Một cửa", self._person(), returned, 10, dossier.due_at))
        dossier.has_electronic_result = rng.random() < 0.5
        dossier.steps.sort(key=lambda s: s.at)
        return True

    def _keep_open(self, dossier: Dossier) -> bool:
        """Statuses 2, 4, 5, 6: the last step happened between receipt and `until`."""
        assert dossier.received_at is not None
        if dossier.status == 2:
            return True
        clock = working_days.start_of_clock(dossier.received_at, SAMPLE_CUTOFF)
        room = working_days.working_days_between(clock, self.until)
        day = working_days.add_working_days(clock, self.rng.randint(1, room)) if room >= 1 else clock
        at = self._office_moment(day, after=dossier.received_at)
        if at > self.until_end:
            return False
        if dossier.status == 5:
            dossier.supplements.append(Supplement(at, None, dossier.due_at, None))
            dossier.steps.append(Step("Phòng chuyên môn", self._person(), at, 5, dossier.due_at))
        else:
            dossier.steps.append(Step("Phòng chuyên môn", self._person(), at, dossier.status, dossier.due_at))
        return True

    def _end_early(self, dossier: Dossier) -> bool:
        """Refused at intake (3), withdrawn (7) or stopped (8)."""
        assert dossier.received_at is not None
        clock = working_days.start_of_clock(dossier.received_at, SAMPLE_CUTOFF)
        if dossier.status == 3:
            offset = self.rng.randint(0, 2)
        else:
            offset = self.rng.randint(1, dossier.procedure.limit_value + 3)
        at = self._office_moment(working_days.add_working_days(clock, offset), after=dossier.received_at)
        if at > self.until_end:
            return False
        if dossier.status == 3:
            dossier.refused_at = at
        department = "Bộ phận Một cửa" if dossier.status == 3 else "Phòng chuyên môn"
        dossier.steps.append(Step(department, self._person(), at, dossier.status, dossier.due_at))
        return True

    def _assign_code(self, dossier: Dossier) -> None:
        stamp = dossier.reference_at.strftime("%y%m%d")
        self.sequences[(dossier.agency_code, stamp)] += 1
        dossier.code = f"{dossier.agency_code}-{stamp}-{self.sequences[(dossier.agency_code, stamp)]:04d}"


def _first_day_of(version: str) -> date:
    return RECEIPTS_FROM if version == "2004" else REORGANISATION_DAY


def build_dossiers(dossiers: int, seed: int = DEFAULT_SEED, until: date = DEFAULT_UNTIL) -> list[Dossier]:
    """The synthetic dossiers, in generation order (what `generate` writes)."""
    if dossiers < 1:
        raise ValueError(f"dossiers must be at least 1 (20 or more to see every case), got {dossiers}")
    if not EARLIEST_UNTIL <= until <= LATEST_UNTIL:
        raise ValueError(f"until must lie in {EARLIEST_UNTIL}..{LATEST_UNTIL}, got {until}")
    rng = random.Random(seed)
    plan = [(status, outcome) for (status, outcome, _), count in zip(OUTCOME_PLAN, _plan_counts(dossiers),
                                                                     strict=True)
            for _ in range(count)]
    rng.shuffle(plan)
    generator = _Generator(rng, until)
    territories, weights = list(TERRITORY_WEIGHTS), list(TERRITORY_WEIGHTS.values())
    result = []
    for index, (status, outcome) in enumerate(plan):
        if index < len(FORCED_TERRITORIES):
            territory = FORCED_TERRITORIES[index]
        else:
            territory = rng.choices(territories, weights)[0]
        result.append(generator.dossier(territory, status, outcome))
    return result
