"""The reference marts built by dbt on a real warehouse database: dim_province and
bridge_province_2025 against the Python lists, the SQL name folding and province lookup
against ingest.text.fold / ingest.reference.provinces, dim_procedure, dim_agency and the relationship
tests from fct_dossiers.

One build per module; runs on the embedded server or WAREHOUSE_URL's."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg.rows import dict_row

from ingest.reference import provinces
from ingest.runtime import dbt_runner, migrate, warehouse
from ingest.settings import paths
from ingest.text import fold
from tests.conftest import create_database, drop_database, insert_row
from tests.support import province_workbooks as workbooks

pytestmark = pytest.mark.warehouse

AS_OF = "2025-09-30"
EVER = (date.min, date.max)  # every province that was ever on a list (Hà Tây included)
# The project's default (its unit tests assume it, so the build keeps it).
WORKING_HOURS_PER_DAY = yaml.safe_load((paths().dbt_project / "dbt_project.yml").read_text())["vars"][
    "working_hours_per_day"]

# (procedure code, name, field, limit value, unit, online level, has fee) as catalogued.
CATALOGUE = [
    ("1.000001", "Thủ tục tính theo giờ", "Chứng thực", "12", "hours", "full_online", "1"),
    ("1.000002", "", "Hộ tịch", "5", "working_days", "partial_online", "0"),
    ("1.000003", "Thủ tục tính theo ngày", "Đất đai", "15", "days", "not_online", "1"),
    ("1.000004", "Thủ tục tính theo tháng", "Xây dựng", "1", "months", "", ""),
]
DOSSIER_ONLY_PROCEDURE = "2.000009"

# dossier code -> raw fields (Vietnam local time, as the loader writes them).
DOSSIERS: dict[str, dict[str, str]] = {
    # One agency across the merger: Sở Tư pháp of Yên Bái (15 on the 2004 list), then of Lào Cai (15 on 2025).
    "D-01": {"agency_code": "H62.12", "agency_name": "Sở Tư pháp tỉnh Yên Bái", "gso_code": "15",
             "received_at": "2025-03-03 09:00:00", "procedure_code": "1.000001"},
    "D-02": {"agency_code": "H62.12", "agency_name": "Sở Tư pháp tỉnh Lào Cai", "gso_code": "15",
             "received_at": "2025-08-04 09:00:00", "procedure_code": "1.000002",
             "procedure_name": "Đăng ký kết hôn"},
    "D-03": {"agency_code": "H26.202", "agency_name": "UBND phường Dịch Vọng, quận Cầu Giấy", "gso_code": "01",
             "received_at": "2024-05-06 09:00:00", "procedure_code": DOSSIER_ONLY_PROCEDURE,
             "procedure_name": "Tên cũ của thủ tục", "field_name": "Tư pháp", "online_level": "not_online"},
    "D-04": {"agency_code": "H26.301", "agency_name": "UBND huyện Hoài Đức", "gso_code": "01",
             "received_at": "2024-06-03 09:00:00", "procedure_code": DOSSIER_ONLY_PROCEDURE,
             "procedure_name": "Tên mới của thủ tục", "online_level": "partial_online"},
    "D-05": {"agency_code": "H07.401", "agency_name": "UBND thành phố Thủ Dầu Một", "gso_code": "74",
             "received_at": "2024-06-04 09:00:00"},
    "D-06": {"agency_code": "H29.1", "agency_name": "UBND TP. Hồ Chí Minh", "gso_code": "79",
             "received_at": "2025-08-05 09:00:00"},
    "D-07": {"agency_code": "H46.1", "agency_name": "Ủy ban nhân dân Thành phố Huế", "gso_code": "46",
             "received_at": "2025-08-05 09:00:00"},
    "D-08": {"agency_code": "H24.1", "agency_name": "UBND tỉnh Bắc Ninh", "gso_code": "24",
             "received_at": "2025-08-06 09:00:00"},
    "D-09": {"agency_code": "H05.310", "agency_name": "UBND xã Tân Hội - tỉnh An Giang", "gso_code": "91",
             "received_at": "2025-08-06 09:00:00"},
    "D-10": {"agency_code": "H05.320", "agency_name": "UBND đặc khu Phú Quốc", "gso_code": "91",
             "received_at": "2025-08-07 09:00:00"},
    "D-11": {"agency_code": "H39.501", "agency_name": "UBND thị xã Sa Pa", "gso_code": "10",
             "received_at": "2024-06-05 09:00:00"},
    "D-12": {"agency_code": "H39.502", "agency_name": "UBND thị trấn Bát Xát", "gso_code": "10",
             "received_at": "2024-06-05 09:00:00"},
    "D-13": {"agency_code": "H26.900", "agency_name": "Trung tâm Phục vụ hành chính công", "gso_code": "01",
             "received_at": "2025-08-07 09:00:00"},
    # A district office still receiving after the district level was abolished: warned.
    "D-14": {"agency_code": "H29.760", "agency_name": "UBND Quận 1", "gso_code": "79",
             "received_at": "2025-08-08 09:00:00"},
    # Code 74 (Bình Dương) was retired on 2025-07-01: not on the list in force, warned.
    "D-15": {"agency_code": "H07.402", "agency_name": "UBND phường Dĩ An", "gso_code": "74",
             "received_at": "2025-08-08 09:00:00"},
}

# The level each agency name should get under the rule documented in dim_agency.
EXPECTED_LEVELS = {
    "H62.12": "province", "H26.202": "commune", "H26.301": "district", "H07.401": "district",
    "H29.1": "province", "H46.1": "province", "H24.1": "province", "H05.310": "commune",
    "H05.320": "commune", "H39.501": "district", "H39.502": "commune", "H26.900": None,
    "H29.760": "district", "H07.402": "commune",
}


def _load(conn: psycopg.Connection, source_kind: str, file_name: str, rows: int) -> int:
    return conn.execute(
        "insert into audit.loads (source_kind, file_name, file_sha256, rows_read, rows_loaded, rows_rejected,"
        " status, gate_outcome, started_at, finished_at)"
        " values (%s, %s, %s, %s, %s, 0, 'loaded', 'pass', now(), now()) returning load_id",
        (source_kind, file_name, f"sha-{file_name}", rows, rows),
    ).fetchone()[0]


def _write_raw_rows(conn: psycopg.Connection) -> None:
    catalogue_load = _load(conn, "procedure_catalogue", "catalogue.csv", len(CATALOGUE))
    for number, (code, name, field, value, unit, level, fee) in enumerate(CATALOGUE, start=1):
        insert_row(conn, "raw.procedure_catalogue", {
            "_load_id": catalogue_load, "_row_number": number, "procedure_code": code, "procedure_name": name,
            "field_name": field, "statutory_limit_value": value, "statutory_limit_unit": unit,
            "online_level": level, "has_fee": fee,
        })
    dossier_load = _load(conn, "portal_export", "dossiers.csv", len(DOSSIERS))
    for number, (code, fields) in enumerate(DOSSIERS.items(), start=1):
        insert_row(conn, "raw.portal_dossiers", {
            "_load_id": dossier_load, "_row_number": number, "dossier_code": code, "status_code": "2",
            "channel": "1", **fields,
        })


@pytest.fixture(scope="module")
def built(admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """(database URL, dbt build result) of a warehouse holding the rows above, built once."""
    name = create_database(admin_url, prefix="parwh_test_reference")
    url = warehouse.with_database(admin_url, name)
    try:
        with psycopg.connect(url) as conn:
            migrate.migrate(conn)
            _write_raw_rows(conn)
        result = dbt_runner.build(url, vars={"as_of_date": AS_OF}, target_path=tmp_path_factory.mktemp("dbt_target"))
        yield url, result
    finally:
        drop_database(admin_url, name)


@pytest.fixture(scope="module")
def built_url(built: tuple[str, Any]) -> str:
    return built[0]


def _rows(url: str, query: str, params: tuple = ()) -> list[dict[str, Any]]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(query, params).fetchall()


def _test_outcomes(result: Any) -> dict[str, tuple[str, int]]:
    """Test node name -> (status, failures) from the dbt build result."""
    outcomes = {}
    for node_result in result.result.results:
        node = node_result.node
        if node.resource_type == "test":
            outcomes[node.name] = (str(getattr(node_result.status, "value", node_result.status)),
                                   node_result.failures or 0)
    return outcomes


# -- provinces -----------------------------------------------------------------------------------


def test_dim_province_holds_both_lists_as_the_python_reference(built_url):
    rows = _rows(built_url, "select * from marts.dim_province")
    assert {(r["gso_code"], r["list_version"], r["province_name"], r["valid_from"], r["valid_to"]) for r in rows} == {
        (p.gso_code, p.list_version, p.name, p.valid_from, p.valid_to) for p in provinces.provinces(during=EVER)
    }
    assert all(r["province_key"] == f"{r['gso_code']}-{r['list_version']}" for r in rows)
    by_version = {v: [r for r in rows if r["list_version"] == v] for v in ("2004", "2025")}
    # Hà Tây (28) is on the 2004 list until it merged into Hà Nội: 64 rows, 63 on the list's last day.
    assert (len(by_version["2004"]), len(by_version["2025"])) == (64, 34)
    assert {(r["valid_from"].isoformat(), r["valid_to"].isoformat()) for r in by_version["2004"]
            if r["gso_code"] != "28"} == {("2004-01-01", "2025-06-30")}
    [ha_tay] = [r for r in by_version["2004"] if r["gso_code"] == "28"]
    assert (ha_tay["province_name"], ha_tay["valid_to"].isoformat()) == ("Hà Tây", "2008-07-31")
    assert {(r["valid_from"].isoformat(), r["valid_to"]) for r in by_version["2025"]} == {("2025-07-01", None)}
    assert all(r["official_name"].endswith(r["province_name"]) for r in rows)
    assert {r["unit_type"] for r in rows if r["official_name"].startswith("Thành phố ")} == {"city"}
    assert {r["unit_type"] for r in rows if r["official_name"].startswith("Tỉnh ")} == {"province"}


def test_dim_province_contract_key_and_grants(built_url):
    key = _rows(built_url, "select a.attname from pg_index i join pg_attribute a"
                           " on a.attrelid = i.indrelid and a.attnum = any(i.indkey)"
                           " where i.indrelid = 'marts.dim_province'::regclass and i.indisprimary")
    assert [row["attname"] for row in key] == ["province_key"]
    with pytest.raises(psycopg.errors.UniqueViolation), psycopg.connect(built_url) as conn:
        conn.execute("insert into marts.dim_province select gso_code || 'x', gso_code, list_version, province_name,"
                     " official_name, unit_type, valid_from, valid_to from marts.dim_province limit 1")
    for table in ("dim_province", "bridge_province_2025", "dim_procedure", "dim_agency"):
        granted = _rows(built_url, "select has_table_privilege('bi_reader', %s, 'select') as ok", (f"marts.{table}",))
        assert granted[0]["ok"] is True, table


def test_bridge_maps_every_old_code_to_exactly_one_new_province(built_url):
    bridge = _rows(built_url, "select * from marts.bridge_province_2025")
    assert sorted(r["old_gso_code"] for r in bridge) == sorted(
        p.gso_code for p in provinces.provinces("2004", during=EVER))
    assert {r["new_gso_code"] for r in bridge} == {p.gso_code for p in provinces.provinces("2025")}
    # Hà Tây follows Hà Nội, which took it in on 2008-08-01 and kept its code in 2025.
    [ha_tay] = [r for r in bridge if r["old_gso_code"] == "28"]
    assert (ha_tay["new_gso_code"], ha_tay["old_province_name"], ha_tay["new_province_name"], ha_tay["role"]) == (
        "01", "Hà Tây", "Hà Nội", "absorbed_before_2025")
    for row in bridge:
        assert row["old_province_name"] == provinces.province(row["old_gso_code"], "2004").name
        assert row["new_province_name"] == provinces.province(row["new_gso_code"], "2025").name
    assert {r["old_gso_code"] for r in bridge if r["is_code_now_other_province"]} == {
        "15", "24", "44", "52", "80", "82", "91"}
    assert {(r["role"], r["is_code_kept_for_larger_territory"]) for r in bridge} == {
        ("unchanged", False), ("absorbing_centre", True), ("absorbed", False), ("absorbed_before_2025", False)}


def test_province_checks_ran_and_passed(built):
    outcomes = _test_outcomes(built[1])
    for name in ("assert_province_lists_have_63_and_34", "assert_crosswalk_covers_both_lists",
                 "assert_bridge_roles_match_the_merger", "assert_codes_naming_other_provinces"):
        assert outcomes[name] == ("pass", 0), name


def test_sql_province_lookup_is_the_python_one(built_url):
    rows = _rows(built_url, "select name_key, list_version, gso_code from intermediate.int_province_names")
    assert {(r["name_key"], r["list_version"]): r["gso_code"] for r in rows} == {
        key: p.gso_code for key, p in provinces.name_keys().items()
    }
    assert len(rows) == len(provinces.name_keys())


# -- the SQL twins of fold / spaced_fold / name_key ------------------------------------------------

_FOLD_QUERY = """
select ord, {{ fold_name('value') }} as folded, {{ fold_name_words('value') }} as words,
       {{ province_name_key('value') }} as name_key
from input_values
"""


@pytest.fixture(scope="module")
def sql_fold(built_url: str, tmp_path_factory: pytest.TempPathFactory):
    """A function folding a list of strings in the warehouse with the dbt macros."""
    compiled = dbt_runner.run_dbt(["compile", "--inline", _FOLD_QUERY], built_url,
                           target_path=tmp_path_factory.mktemp("dbt_compile")).result.results[0].node.compiled_code
    query = "with input_values as (select * from unnest(%s::text[]) with ordinality as v(value, ord)) " + (
        compiled.replace("%", "%%"))

    def fold_in_sql(values: list[str]) -> list[tuple[str, str, str]]:
        with psycopg.connect(built_url) as conn:
            rows = conn.execute(query, (values,)).fetchall()
        return [(folded, words, key) for _, folded, words, key in sorted(rows)]

    return fold_in_sql


def _python_fold(values: list[str]) -> list[tuple[str, str, str]]:
    return [(fold(v), provinces.spaced_fold(v), provinces.name_key(v)) for v in values]


def test_sql_and_python_fold_every_name_in_both_workbooks_alike(sql_fold):
    names = workbooks.all_names()
    assert len(names) > 100
    names += [unicodedata.normalize("NFD", name) for name in names]  # decomposed input too
    assert sql_fold(names) == _python_fold(names)


# Vietnamese letters built from base letters and tone marks (independent of the macro's list).
_BASES = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_VIETNAMESE = sorted({unicodedata.normalize("NFC", base + tone) for base in _BASES for tone in _TONES}
                     | {"đ"})
_LETTERS = "".join(_VIETNAMESE) + "".join(letter.upper() for letter in _VIETNAMESE)
_ALPHABET = (_LETTERS + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
             + " \t\n\u00a0.,-–_/()'\"&:;" + "".join(t for t in _TONES if t) + "\u0302\u0306\u031b")


def test_the_generated_alphabet_covers_every_vietnamese_letter():
    assert len(_VIETNAMESE) == 12 * 6 + 1  # 12 vowels in 6 tones (the plain ones included), and đ
    assert all(len(letter) == 1 for letter in _VIETNAMESE)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=_ALPHABET, max_size=30), min_size=1, max_size=25))
def test_sql_and_python_fold_random_vietnamese_text_alike(sql_fold, values):
    assert sql_fold(values) == _python_fold(values)


def test_sql_lookup_resolves_workbook_names_like_python(built_url, tmp_path_factory):
    names = workbooks.all_names()
    compiled = dbt_runner.run_dbt(
        ["compile", "--inline",
         "select input_values.value, names.gso_code from input_values left join {{ ref('int_province_names') }}"
         " as names on names.name_key = {{ province_name_key('input_values.value') }}"
         " and names.list_version = '2004'"],
        built_url, target_path=tmp_path_factory.mktemp("dbt_compile_lookup"),
    ).result.results[0].node.compiled_code
    query = "with input_values as (select unnest(%s::text[]) as value) " + compiled.replace("%", "%%")
    with psycopg.connect(built_url) as conn:
        found = conn.execute(query, (names,)).fetchall()
    assert sorted(found) == sorted((name, provinces.resolve(name, list_version="2004").gso_code) for name in names)


# -- procedures ----------------------------------------------------------------------------------


def test_dim_procedure_unions_the_catalogue_and_procedures_seen_only_in_dossiers(built_url):
    procedures = {r["procedure_id"]: r for r in _rows(built_url, "select * from marts.dim_procedure")}
    assert set(procedures) == {row[0] for row in CATALOGUE} | {DOSSIER_ONLY_PROCEDURE}

    hours = procedures["1.000001"]
    assert (hours["procedure_name"], hours["field_name"], hours["online_level"], hours["has_fee"]) == (
        "Thủ tục tính theo giờ", "Chứng thực", "full_online", True)
    assert (hours["statutory_limit_value"], hours["statutory_limit_unit"]) == (12, "hours")
    assert hours["statutory_limit_working_days"] == math.ceil(12 / WORKING_HOURS_PER_DAY)
    # The same conversion as the dossier clock's (int_dossiers_clocked), for D-01 of this procedure.
    clocked = _rows(built_url, "select statutory_limit_working_days from marts.fct_dossiers where dossier_id = 'D-01'")
    assert clocked[0]["statutory_limit_working_days"] == hours["statutory_limit_working_days"]
    assert hours["is_in_catalogue"] is True and hours["catalogue_load_id"] is not None

    working_days = procedures["1.000002"]
    assert working_days["statutory_limit_working_days"] == 5
    # The catalogue left the name empty: the latest dossier's name fills it.
    assert working_days["procedure_name"] == "Đăng ký kết hôn"
    assert working_days["has_fee"] is False

    # Calendar days and months depend on each receipt date: no fixed working-day value.
    assert procedures["1.000003"]["statutory_limit_working_days"] is None
    assert procedures["1.000004"]["statutory_limit_working_days"] is None
    assert procedures["1.000004"]["has_fee"] is None and procedures["1.000004"]["online_level"] is None
    assert procedures["1.000003"]["dossier_count"] == 0

    only_in_dossiers = procedures[DOSSIER_ONLY_PROCEDURE]
    assert only_in_dossiers["is_in_catalogue"] is False
    assert only_in_dossiers["procedure_name"] == "Tên mới của thủ tục"   # the later of its two dossiers
    assert only_in_dossiers["field_name"] == "Tư pháp"                   # the latest that carries one
    assert only_in_dossiers["online_level"] == "partial_online"
    assert only_in_dossiers["statutory_limit_value"] is None and only_in_dossiers["has_fee"] is None
    assert only_in_dossiers["dossier_count"] == 2


# -- agencies ------------------------------------------------------------------------------------


def test_dim_agency_levels_follow_the_documented_name_rule(built_url):
    levels = {r["agency_id"]: r["level"] for r in _rows(built_url, "select agency_id, level from marts.dim_agency")}
    assert levels == EXPECTED_LEVELS


def test_dim_agency_takes_name_and_province_from_the_latest_dossier(built_url):
    agency = _rows(built_url, "select * from marts.dim_agency where agency_id = 'H62.12'")[0]
    assert agency["agency_name"] == "Sở Tư pháp tỉnh Lào Cai"
    assert (agency["gso_code"], agency["list_version"], agency["province_key"]) == ("15", "2025", "15-2025")
    assert agency["first_seen_at"].isoformat() == "2025-03-03T02:00:00+00:00"
    assert agency["last_seen_at"].isoformat() == "2025-08-04T02:00:00+00:00"
    assert agency["dossier_count"] == 2
    older = _rows(built_url, "select * from marts.dim_agency where agency_id = 'H26.301'")[0]
    assert (older["gso_code"], older["list_version"]) == ("01", "2004")


def test_relationship_tests_pass_and_warn_where_the_data_is_wrong(built):
    url, result = built
    outcomes = _test_outcomes(result)
    # Every dossier's procedure and agency is in its dimension (error severity, so they passed).
    assert outcomes["relationships_fct_dossiers_procedure_code__procedure_id__ref_dim_procedure_"] == ("pass", 0)
    assert outcomes["relationships_fct_dossiers_agency_code__agency_id__ref_dim_agency_"] == ("pass", 0)
    # D-15 carries code 74 after 2025-07-01, when 74 is no longer on the list: warned, not failed.
    composite = next(name for name in outcomes if name.startswith("relationships_composite_fct_dossiers"))
    assert outcomes[composite] == ("warn", 1)
    fact = _rows(url, "select province_key, province_key_2025 from marts.fct_dossiers where dossier_id = 'D-15'")[0]
    assert fact == {"province_key": "74-2025", "province_key_2025": "74-2025"}
    old = _rows(url, "select province_key, province_key_2025 from marts.fct_dossiers where dossier_id = 'D-05'")[0]
    assert old == {"province_key": "74-2004", "province_key_2025": "79-2025"}
    # The unclassifiable agency name and the district still receiving after the reform are warned.
    assert outcomes["not_null_dim_agency_level"] == ("warn", 1)
    assert outcomes["assert_no_district_agency_after_2025_07_01"] == ("warn", 1)
