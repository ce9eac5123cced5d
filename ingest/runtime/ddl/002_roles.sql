-- Group roles of the warehouse contract. Roles are cluster-wide, so creation tolerates a
-- concurrent creator; privileges are per database and re-granted idempotently.
do $$
declare role_name text;
begin
    foreach role_name in array array['etl', 'bi_reader', 'auditor'] loop
        begin
            execute format('create role %I nologin', role_name);
        exception when duplicate_object or unique_violation then null;
        end;
    end loop;
end $$;

grant usage, create on schema raw, audit, marts to etl;
grant select, insert, update, delete on all tables in schema raw, audit to etl;
grant usage on all sequences in schema audit to etl;
grant usage on schema marts to bi_reader, auditor;
grant usage on schema audit to auditor;
grant select on all tables in schema marts to bi_reader, auditor;
grant select on all tables in schema audit to auditor;
alter default privileges in schema marts grant select on tables to bi_reader, auditor;
alter default privileges in schema audit grant select on tables to auditor;
