-- BI access (warehouse contract): bi_reader and auditor log in themselves, so a BI tool or an
-- auditor connects as exactly the role whose privileges the tests prove.
--   * The three contract roles may log in. On the embedded server that is a socket with trust
--     auth; on a shared server pg_hba.conf and the role's password (set by an administrator,
--     never by this file) decide. Roles are cluster-wide: a role that already logs in is left
--     alone, and a migrator without the right to alter it leaves a notice instead of failing.
--   * Tables that dbt creates later in marts are readable at once whichever of the migrating
--     user or etl creates them (default privileges only cover tables made by the role named).
--   * Nobody but etl and the database owner may create temporary tables, so bi_reader and
--     auditor cannot write anywhere, not even to a session's own scratch tables.
do $$
declare
    role_name text;
begin
    foreach role_name in array array['etl', 'bi_reader', 'auditor'] loop
        if not (select rolcanlogin from pg_roles where rolname = role_name) then
            begin
                execute format('alter role %I login', role_name);
            exception
                when insufficient_privilege then
                    raise notice 'role % cannot log in: ask an administrator to run ALTER ROLE % LOGIN',
                        role_name, role_name;
                -- Two databases migrating at once on one server both alter the same
                -- cluster-wide role: the loser sees "tuple concurrently updated".
                when internal_error then
                    if not (select rolcanlogin from pg_roles where rolname = role_name) then
                        raise;
                    end if;
            end;
        end if;
    end loop;

    begin
        alter default privileges for role etl in schema marts grant select on tables to bi_reader, auditor;
        alter default privileges for role etl in schema audit grant select on tables to auditor;
    exception when insufficient_privilege then
        raise notice 'default privileges of role etl not set: run this migration as a member of etl';
    end;

    execute format('revoke temporary on database %I from public', current_database());
    execute format('grant temporary on database %I to etl', current_database());
end $$;
