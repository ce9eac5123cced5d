-- Schemas, audit tables and raw landing tables. Raw values are text as delivered by the
-- source profile (timestamps normalised to ISO 8601 local time); dbt staging casts them.
create schema if not exists raw;
create schema if not exists audit;
create schema if not exists marts;

create table if not exists audit.loads (
    load_id        bigserial primary key,
    source_kind    text not null,               -- portal_export | procedure_catalogue | index_publication
    profile        text,
    file_name      text not null,               -- base name
    file_path      text,
    file_sha256    text not null,
    file_bytes     bigint,
    province_code  text,                        -- GSO code given by --province or the source config
    rows_read      bigint,
    rows_loaded    bigint,
    rows_rejected  bigint,
    status         text not null default 'started'
                   check (status in ('started', 'loaded', 'rejected', 'quarantined', 'duplicate', 'failed')),
    gate_outcome   text check (gate_outcome in ('pass', 'warn', 'fail')),
    duplicate_of   bigint references audit.loads (load_id),
    started_at     timestamptz not null default now(),
    finished_at    timestamptz,
    error          text,
    run_id         text,
    constraint loads_rows_balance check (
        status not in ('loaded', 'quarantined') or rows_read = rows_loaded + rows_rejected
    )
);
-- One live load per file content: a second delivery of the same bytes is a 'duplicate'.
create unique index if not exists loads_one_live_load_per_file
    on audit.loads (file_sha256) where status in ('started', 'loaded', 'quarantined');
create index if not exists loads_started_at on audit.loads (started_at);

create table if not exists audit.rejected_rows (
    load_id      bigint not null references audit.loads (load_id),
    row_number   bigint not null,                -- 1-based data row (JSON: record) number in the file
    reason_code  text not null,
    reason       text not null,
    record       jsonb,                          -- the original record, personal data already hashed
    primary key (load_id, row_number)
);

create table if not exists audit.validation_runs (
    validation_run_id  bigserial primary key,
    run_id             text not null,            -- the Airflow run id (also the GX run id)
    gate               text not null check (gate in ('raw', 'mart')),
    load_id            bigint references audit.loads (load_id),
    suite_name         text not null,
    outcome            text not null check (outcome in ('pass', 'warn', 'fail', 'error')),
    expectations       integer not null default 0,
    critical_failures  integer not null default 0,
    warnings           integer not null default 0,
    data_docs_path     text,
    started_at         timestamptz not null default now(),
    finished_at        timestamptz,
    message            text
);

create table if not exists audit.validation_results (
    validation_run_id  bigint not null references audit.validation_runs (validation_run_id),
    run_id             text not null,
    load_id            bigint,
    suite_name         text not null,
    expectation_type   text not null,
    expectation_name   text,
    column_name        text,
    severity           text not null check (severity in ('critical', 'warning')),
    success            boolean not null,
    observed_value     text,
    unexpected_count   bigint,
    sample_keys        jsonb,
    details            jsonb
);
create index if not exists validation_results_run on audit.validation_results (run_id);

create table if not exists audit.dbt_node_runs (
    run_id          text not null,
    invocation_id   text,
    unique_id       text not null,
    resource_type   text,
    status          text,
    execution_time  double precision,
    rows_affected   bigint,
    failures        bigint,
    message         text,
    recorded_at     timestamptz not null default now()
);

create table if not exists raw.portal_dossiers (
    _load_id                  bigint not null,
    _row_number               bigint not null,
    gso_code                  text,
    dossier_code              text,
    procedure_code            text,
    procedure_name            text,
    field_code                text,
    field_name                text,
    agency_code               text,
    agency_name               text,
    channel                   text,
    online_level              text,
    status                    text,              -- as delivered (code or vendor label)
    status_code               text,              -- mapped by the source profile to 1..10
    submitted_at              text,
    received_at               text,
    due_at                    text,
    finished_at               text,
    returned_at               text,
    refused_at                text,
    paid_online               text,
    fee_amount                text,
    has_digitised_components  text,
    has_electronic_result     text,
    supplement_count          text,
    applicant_name_hash       text,              -- HMAC-SHA256, never the clear name
    applicant_id_hash         text,              -- HMAC-SHA256, never the clear ID number
    primary key (_load_id, _row_number)
);
create index if not exists portal_dossiers_code on raw.portal_dossiers (dossier_code);

create table if not exists raw.portal_dossier_events (
    _load_id                 bigint not null,
    _row_number              bigint not null,    -- the dossier's row in its file
    event_kind               text not null,      -- supplement | processing_step
    event_seq                integer not null,
    dossier_code             text,
    requested_at             text,               -- supplement: NgayBoSung
    supplement_received_at   text,               -- supplement: NgayTiepNhanBoSung
    previous_due_at          text,               -- supplement: NgayHenTraTruoc
    new_due_at               text,               -- supplement: NgayHenTraMoi
    department               text,               -- step: PhongBanXuLy
    handler_hash             text,               -- step: NguoiXuLy, hashed
    occurred_at              text,               -- step: ThoiDiemXuLy
    step_status              text,               -- step: TrangThai
    step_due_at              text,               -- step: NgayKetThucTheoQuyDinh
    primary key (_load_id, _row_number, event_kind, event_seq)
);

create table if not exists raw.procedure_catalogue (
    _load_id                bigint not null,
    _row_number             bigint not null,
    procedure_code          text,
    procedure_name          text,
    field_name              text,
    statutory_limit_value   text,
    statutory_limit_unit    text,               -- working_days | days | hours | months
    online_level            text,
    has_fee                 text,
    primary key (_load_id, _row_number)
);

create table if not exists raw.index_scores (
    _load_id         bigint not null,
    _row_number      bigint not null,
    index_code       text,
    edition_year     text,
    period           text,
    unit_name        text,                       -- the province or unit as published
    gso_code         text,
    component        text,
    value            text,
    rank_published   text,
    source_sheet     text,
    primary key (_load_id, _row_number, component)
);
