-- Index publications (DOMAIN.md §2): what each edition was published under, beside its rows.
-- One load per file; a file may hold several editions (PAPI: one sheet per year), each
-- described by one audit.index_editions row.

alter table raw.index_scores add column if not exists methodology_version text;
alter table raw.index_scores add column if not exists list_version text;      -- '2004' (63) or '2025' (34)
alter table raw.index_scores add column if not exists universe text;          -- 63 or 34
alter table raw.index_scores add column if not exists scale_min text;
alter table raw.index_scores add column if not exists scale_max text;
alter table raw.index_scores add column if not exists tier text;              -- PCI's published tier, 'total' rows only
alter table raw.index_scores add column if not exists source_file text;
alter table raw.index_scores add column if not exists source_reference text;  -- template: page, table, URL

create table if not exists audit.index_editions (
    load_id              bigint not null references audit.loads (load_id),
    index_code           text not null,
    edition_year         integer not null,
    period               text not null,
    list_version         text not null,
    universe             integer not null,
    methodology_version  text not null,
    scale_min            numeric not null,            -- of the composite
    scale_max            numeric not null,
    composite_formula    text not null,               -- 'sum' is checked; anything else warns
    source_file          text not null,
    source_sheet         text,
    primary key (load_id, index_code, period)
);
