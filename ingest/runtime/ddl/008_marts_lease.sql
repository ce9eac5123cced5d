-- One builder of the marts at a time. warehouse_nightly, warehouse_backfill and `parwh build`
-- rebuild the same tables; two at once would interleave incremental merges judged at different
-- as-of dates. Each holds this one-row lease while it builds (ingest/runtime/marts_lease.py); the row
-- says who holds it, for what and until when, so a blocked run can say what it waits for.
create table if not exists audit.marts_lease (
    lease        text primary key default 'marts' check (lease = 'marts'),
    holder       text,            -- airflow:<dag_id>/<run_id> or cli:<host>:<pid>; null when free
    purpose      text,
    acquired_at  timestamptz,
    expires_at   timestamptz      -- a holder that died without releasing is taken over after this
);
insert into audit.marts_lease (lease) values ('marts') on conflict do nothing;
grant select on audit.marts_lease to auditor;
grant select, update on audit.marts_lease to etl;
