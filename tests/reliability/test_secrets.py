"""No secret in the repository: every file git tracks (or would add) is scanned."""

from __future__ import annotations

import re
import subprocess

from ingest.settings import PROJECT_ROOT

from .secrets_scan import scan_text

# Files whose "secrets" are deliberate test data (the scanner's own self-test builds them at run time).
ALLOWED = {".env.example"}   # every value there is empty; it documents the names only


def repository_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    return sorted(set(listed))


def test_the_scanner_finds_what_it_looks_for():
    key_header = "-----BEGIN " + "OPENSSH PRIVATE KEY-----"
    samples = {
        "private key": key_header,
        "password in a URL": "WAREHOUSE_URL=postgresql://etl:" + "Zq8vR2mWx7pL" + "@db.internal:5432/parwh",
        "AWS access key id": "aws_access_key_id = " + "AKIA" + "Q3EXAMPLEKY7ZQ4W",
        "random-looking value for PARWH_PII_KEY": "PARWH_PII_KEY=" + "9f8Kd02LmQx7Vb3Ns1Zr5Tw4Yh6Jc",
    }
    for kind, line in samples.items():
        assert kind in [f.kind for f in scan_text("sample", line)], line
    for harmless in ["WAREHOUSE_URL=postgresql://etl:secret@db.example:5433/parwh", "PARWH_PII_KEY=",
                     "password: ${WAREHOUSE_DB_PASSWORD}", "url = 'postgresql://postgres@127.0.0.1:5432/postgres'",
                     "PARWH_PII_KEY=test-key-not-secret", "on provinces.province_key = monthly.province_key_2025",
                     "postgresql://bi_reader:reader%20pw@db.example:5433/parwh"]:
        assert scan_text("sample", harmless) == [], harmless


def test_no_secrets_in_the_repository():
    files = repository_files()
    assert len(files) > 50
    findings = []
    for name in files:
        path = PROJECT_ROOT / name
        if name in ALLOWED or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue   # binary (workbooks): no text to leak
        findings += scan_text(name, data.decode("utf-8", errors="replace"))
    assert not findings, "possible secrets (rotate and remove them):\n" + "\n".join(map(str, findings))


def test_env_example_holds_names_only():
    """Every line of .env.example is a comment, blank, or NAME= with no value."""
    lines = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    settings = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    assert len(settings) >= 5, "the file documents the settings a deployment fills in"
    not_names_only = [line for line in settings if not re.fullmatch(r"[A-Z][A-Z0-9_]*=", line)]
    assert not not_names_only, f".env.example must hold names only, with empty values: {not_names_only}"
