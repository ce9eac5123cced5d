"""Scan text for committed secrets: private keys, passwords inside URLs, cloud and API tokens,
and long random-looking values assigned to names like *_KEY / *_SECRET / *_PASSWORD / *_TOKEN."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s/:@'\"<>]+:([^\s@/'\"<>]+)@[^\s'\"<>]+", re.IGNORECASE)
TOKENS = {
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
}
ASSIGNMENT = re.compile(
    r"\b([A-Za-z0-9_]*(?:KEY|SECRET|PASSWORD|PASSWD|TOKEN)[A-Za-z0-9_]*)[\"']?\s*(?:=|:|,)\s*[bfr]?[\"']?"
    r"([A-Za-z0-9/+=_\-.]{20,})", re.IGNORECASE)
# Values that stand for a password without being one: examples, test values, template variables.
PLACEHOLDER_WORDS = ("secret", "password", "pass", "pw", "changeme", "example", "test", "dummy", "placeholder")
PLACEHOLDER = re.compile(r"^(?:\$\{?[A-Za-z_]|\{|<|%|\*+$|\$\$|x$)")
EXAMPLE_HOST = re.compile(r"@(?:[^/:?\s]*\.)?(?:example(?:\.com|\.org|\.net)?|test|invalid|localhost)\b")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    kind: str

    def __str__(self) -> str:   # never print the secret itself
        return f"{self.path}:{self.line}: {self.kind}"


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _random_looking(value: str) -> bool:
    has_mix = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d")) >= 2
    identifier = re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(?:[_.][A-Za-z0-9]+)+", value)   # monthly.province_key_2025
    return has_mix and entropy(value) >= 3.5 and not identifier


def scan_text(path: str, text: str) -> list[Finding]:
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        if PRIVATE_KEY.search(line):
            findings.append(Finding(path, number, "private key"))
        for match in URL_PASSWORD.finditer(line):
            password = match.group(1).lower()
            example = any(word in password for word in PLACEHOLDER_WORDS) or EXAMPLE_HOST.search(match.group(0))
            if not example and not PLACEHOLDER.match(password):
                findings.append(Finding(path, number, "password in a URL"))
        for kind, pattern in TOKENS.items():
            if pattern.search(line):
                findings.append(Finding(path, number, kind))
        for match in ASSIGNMENT.finditer(line):
            value = match.group(2)
            if _random_looking(value) and not PLACEHOLDER.match(value):
                findings.append(Finding(path, number, f"random-looking value for {match.group(1)}"))
    return findings
