-- Auditors read the rows that failed (or warned) each dbt data test: dbt keeps them in schema
-- dbt_test__audit (store_failures, dbt_project.yml), one table per test, replaced every run.
-- The schema is made here so its privileges exist before dbt's first build creates tables in it.
create schema if not exists dbt_test__audit;
grant usage, create on schema dbt_test__audit to etl;
grant usage on schema dbt_test__audit to auditor;
grant select on all tables in schema dbt_test__audit to auditor;
alter default privileges in schema dbt_test__audit grant select on tables to auditor;
do $$
begin
    alter default privileges for role etl in schema dbt_test__audit grant select on tables to auditor;
exception when insufficient_privilege then
    raise notice 'default privileges of role etl not set: run this migration as a member of etl';
end $$;
