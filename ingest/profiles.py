"""Declarative source profiles (ingest/profiles/*.yaml) and detection from a header signature.

A new vendor layout is a new YAML file: header aliases per canonical column, timestamp formats,
value maps, required and personal-data columns, nested lists and event columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
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

    def header_map(self, headers: list[str]) -> dict[str, str]:
        """canonical column -> source header, first alias that the headers contain."""
        by_folded = {}
        for header in headers:
            by_folded.setdefault(fold(header), header)
        found: dict[str, str] = {}
        for canonical, aliases in {**self.columns, **self.personal_data}.items():
            for alias in aliases:
                if fold(alias) in by_folded:
                    found[canonical] = by_folded[fold(alias)]
                    break
        for spec in self.events.values():
            for canonical, aliases in spec.get("split_columns", {}).items():
                for alias in aliases:
                    if fold(alias) in by_folded:
                        found[f"event:{canonical}"] = by_folded[fold(alias)]
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


def detect(file_format: str, headers: list[str]) -> Profile:
    """The one profile of this format whose required columns the headers contain."""
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
    shown = ", ".join(headers[:12]) + (" ..." if len(headers) > 12 else "")
    raise ProfileError(
        f"no {file_format} profile fits the header [{shown}]. Candidates: "
        + ("; ".join(lines) if lines else "none")
        + ". Pass --profile NAME or add a profile YAML under ingest/profiles/."
    )
