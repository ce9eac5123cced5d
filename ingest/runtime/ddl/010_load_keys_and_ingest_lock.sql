-- What makes two loads the same, who is still loading, and a lock only the loader can take.
--   * load_key: the file's content hash plus what else decides the result (the profile used, the
--     --province given; for index publications the reader, --index and --edition). One live load
--     per key: the same bytes with another --province are a new load, not a duplicate. Existing
--     loads get the key their recorded profile and province give.
--   * loader_pid / loader_backend_start: the server session that is loading a 'started' load. A
--     'started' load whose session is gone was abandoned (it replaces an advisory lock per load,
--     which any role, bi_reader included, could take first and so stall the loader).
--   * audit.ingest_lock: loads commit one at a time under LOCK TABLE ... IN EXCLUSIVE MODE.
--     That mode needs UPDATE, DELETE or TRUNCATE on the table, which only etl and the owner
--     have: bi_reader cannot reach schema audit, and auditor's SELECT allows only ACCESS SHARE,
--     which does not conflict. (Advisory locks are open to every role.)
alter table audit.loads add column if not exists load_key text;
alter table audit.loads add column if not exists loader_pid integer;
alter table audit.loads add column if not exists loader_backend_start timestamptz;

update audit.loads
   set load_key = case
       when source_kind = 'index_publication'
           then file_sha256 || '|reader=' || coalesce(profile, '') || '|index=|edition='
       else file_sha256 || '|profile=' || coalesce(profile, '') || '|province=' || coalesce(province_code, '')
   end
 where load_key is null;
-- A row written without a key (by hand, by another tool) gets the key its profile and province give.
create or replace function audit.default_load_key() returns trigger language plpgsql as $fill$
begin
    if new.load_key is null then
        new.load_key := case
            when new.source_kind = 'index_publication'
                then new.file_sha256 || '|reader=' || coalesce(new.profile, '') || '|index=|edition='
            else new.file_sha256 || '|profile=' || coalesce(new.profile, '') || '|province='
                 || coalesce(new.province_code, '')
        end;
    end if;
    return new;
end
$fill$;
drop trigger if exists loads_default_load_key on audit.loads;
create trigger loads_default_load_key before insert on audit.loads
    for each row execute function audit.default_load_key();
alter table audit.loads alter column load_key set not null;

drop index if exists audit.loads_one_live_load_per_file;
create unique index if not exists loads_one_live_load_per_key
    on audit.loads (load_key) where status in ('started', 'loaded', 'quarantined');
create index if not exists loads_file_sha256 on audit.loads (file_sha256);

create table if not exists audit.ingest_lock (
    lock_name  text primary key default 'ingest' check (lock_name = 'ingest')
);
insert into audit.ingest_lock (lock_name) values ('ingest') on conflict do nothing;
revoke all on audit.ingest_lock from public;
grant select, update on audit.ingest_lock to etl;
-- 002 lets auditor read every audit table; reading this one tells nothing and its ACCESS SHARE
-- lock does not conflict with the loader's EXCLUSIVE one, but there is no reason to keep it.
revoke all on audit.ingest_lock from auditor;
