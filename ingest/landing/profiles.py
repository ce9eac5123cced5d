"""Declarative source profiles (ingest/landing/profiles/*.yaml) and detection from a header signature.

A new vendor layout is a new YAML file: header aliases per canonical column, timestamp formats,
value maps, required and personal-data columns, nested lists and event columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml

from ingest.text import fold

PROFILE_DIR = Path(__file__).with_name("profiles")
VALUE_MAPS_FILE = PROFILE_DIR / "_value_maps.yaml"


class ProfileError(ValueError):
    """No profile, or more than one, fits a file; the message lists candidates and deciding columns."""


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    source_kind: str
    format: str
    columns: dict[str, list[str]]
    required: list[str]
    timestamps: list[str] = field(default_factory=list)
    timestamp_formats: list[str] = field(default_factory=list)
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    personal_data: dict[str, list[str]] = field(default_factory=dict)
    lists: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    numbers: list[str] = field(default_factory=list)
    target_table: str = "portal_dossiers"
    key_column: str = "dossier_code"

    @cached_property
    def _folded_aliases(self) -> list[tuple[str, list[str]]]:
        """(canonical column, its aliases folded), in matching order; event split columns as 'event:<name>'."""
        pairs = [(canonical, [fold(a) for a in aliases])
                 for canonical, aliases in {**self.columns, **self.personal_data}.items()]
        for spec in self.events.values():
            for canonical, aliases in spec.get("split_columns", {}).items():
                pairs.append((f"event:{canonical}", [fold(a) for a in aliases]))
        return pairs

    def header_map(self, headers: list[str]) -> dict[str, str]:
        """canonical column -> source header, first alias that the headers contain."""
        by_folded: dict[str, str] = {}
        for header in headers:
            by_folded.setdefault(fold(header), header)
        found: dict[str, str] = {}
        for canonical, folded_aliases in self._folded_aliases:
            for alias in folded_aliases:
                if alias in by_folded:
                    found[canonical] = by_folded[alias]
                    break
        return found

    def missing_required(self, header_map: dict[str, str]) -> list[str]:
        return [column for column in self.required if column not in header_map]


def _load_value_maps() -> dict[str, dict[str, str]]:
    raw = yaml.safe_load(VALUE_MAPS_FILE.read_text(encoding="utf-8"))
    return {name: {fold(str(k)): str(v) for k, v in mapping.items()} for name, mapping in raw.items()}


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@cache
def all_profiles() -> dict[str, Profile]:
    shared_maps = _load_value_maps()
    profiles: dict[str, Profile] = {}
    for path in sorted(PROFILE_DIR.glob("[!_]*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        maps = {}
        for column, map_name in (spec.get("value_maps") or {}).items():
            if map_name not in shared_maps:
                raise ProfileError(f"{path.name}: value map {map_name!r} is not defined in {VALUE_MAPS_FILE.name}")
            maps[column] = shared_maps[map_name]
        profiles[spec["name"]] = Profile(
            name=spec["name"],
            description=spec.get("description", ""),
            source_kind=spec.get("source_kind", "portal_export"),
            format=spec["format"],
            columns={k: _as_list(v) for k, v in spec["columns"].items()},
            required=list(spec.get("required", [])),
            timestamps=list(spec.get("timestamps", [])),
            timestamp_formats=list(spec.get("timestamp_formats", [])),
            value_maps=maps,
            personal_data={k: _as_list(v) for k, v in (spec.get("personal_data") or {}).items()},
            lists=spec.get("lists") or {},
            events=spec.get("events") or {},
            numbers=list(spec.get("numbers", [])),
            target_table=spec.get("target_table", "portal_dossiers"),
            key_column=spec.get("key_column", "dossier_code"),
        )
    return profiles


def get_profile(name: str) -> Profile:
    profiles = all_profiles()
    if name not in profiles:
        raise ProfileError(f"unknown profile {name!r}; known profiles: {', '.join(sorted(profiles))}")
    return profiles[name]


@dataclass(frozen=True)
class HeaderSignature:
    """What a header row of the candidate profiles looks like, for finding it among title rows.

    A row fits when some candidate finds all its required columns in it; its score is the
    number of columns that candidate recognises, so the fuller of two readings wins.
    """

    file_format: str
    profiles: tuple[Profile, ...]

    def score(self, headers: list[str]) -> int:
        best = 0
        for profile in self.profiles:
            header_map = profile.header_map(headers)
            if not profile.missing_required(header_map):
                best = max(best, len(header_map))
        return best

    @property
    def known(self) -> frozenset[str]:
        """Every alias of every candidate, folded."""
        return frozenset(
            fold(alias) for p in self.profiles
            for aliases in [*p.columns.values(), *p.personal_data.values(),
                            *(a for spec in p.events.values() for a in spec.get("split_columns", {}).values())]
            for alias in aliases
        )

    def required_positions(self, headers: list[str]) -> list[int]:
        """Positions of the headers that any candidate requires (the dossier code, the status, ...)."""
        wanted = {fold(alias) for p in self.profiles for column in p.required for alias in p.columns.get(column, [])}
        return [i for i, header in enumerate(headers) if fold(header) in wanted]

    def explain(self, headers: list[str]) -> str:
        """Why no candidate fits these headers (the detection error)."""
        try:
            detect(self.file_format, headers, list(self.profiles))
        except ProfileError as exc:
            return str(exc)
        return "a profile fits"


def signature(file_format: str, name: str | None = None) -> HeaderSignature:
    """The header signature of one named profile, or of every profile of this format."""
    if name:
        return HeaderSignature(file_format, (get_profile(name),))
    return HeaderSignature(file_format, tuple(p for p in all_profiles().values() if p.format == file_format))


def detect(file_format: str, headers: list[str], candidates: list[Profile] | None = None) -> Profile:
    """The one profile of this format whose required columns the headers contain."""
    if candidates is None:
        candidates = [p for p in all_profiles().values() if p.format == file_format]
    scored = []
    for profile in candidates:
        header_map = profile.header_map(headers)
        scored.append((profile, header_map, profile.missing_required(header_map)))
    fitting = [(p, m) for p, m, missing in scored if not missing]
    if fitting:
        best = max(len(m) for _, m in fitting)
        winners = [p for p, m in fitting if len(m) == best]
        if len(winners) == 1:
            return winners[0]
        raise ProfileError(
            "several profiles fit this header equally well: "
            + "; ".join(f"{p.name} (matched {best} columns)" for p in winners)
            + ". Pass --profile NAME."
        )
    lines = [
        f"{p.name}: missing required {', '.join(missing)} (matched {len(m)} columns)" for p, m, missing in scored
    ]
    raise ProfileError(
        f"no {file_format} profile fits the header ({_describe_header(headers, candidates)}). Candidates: "
        + ("; ".join(lines) if lines else "none")
        + ". Pass --profile NAME or add a profile YAML under ingest/landing/profiles/."
    )


def _describe_header(headers: list[str], candidates: list[Profile]) -> str:
    """The header as an error may show it: its size and which columns some candidate recognises in
    it, by canonical name. No cell is quoted: a file without a header row has its first record there
    (names, ID numbers)."""
    canonical = {alias: name for p in candidates for name, aliases in p._folded_aliases for alias in aliases}
    recognised = sorted({canonical[fold(h)] for h in headers if fold(h) in canonical})
    return (f"{len(headers)} cells, recognised: {', '.join(recognised) or 'none'}; cells are not quoted, "
            "as the line may be a data row")
