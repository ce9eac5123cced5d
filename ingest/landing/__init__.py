"""Landing: a delivered file into raw rows. Readers (CSV, JSON, spreadsheets, ZIP members), the
source profiles (profiles/*.yaml), record mapping and timestamps, personal-data hashing, the COPY
loader (`loader.land_path`) and the landing, archive and quarantine folders.

See docs/LOADS.md.
"""
