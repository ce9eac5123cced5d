-- One row per failed Airflow task try, written by the DAGs' failure callback, so an auditor
-- sees in the warehouse itself what broke in a run and why.
create table if not exists audit.task_failures (
    run_id          text not null,
    dag_id          text not null,
    task_id         text not null,
    try_number      integer,
    will_retry      boolean not null default false,
    exception_type  text,
    message         text,
    failed_at       timestamptz not null default now()
);
create index if not exists task_failures_run on audit.task_failures (run_id);
grant select on audit.task_failures to auditor;
grant select, insert on audit.task_failures to etl;
