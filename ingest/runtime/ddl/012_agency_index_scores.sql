-- Index values published for units below the province (the 766 dashboard's provincial
-- departments and communes, DOMAIN.md §2): one row per unit × component of one period, with the
-- province the unit belongs to on the edition's list. Kept apart from raw.index_scores, whose
-- checks count provinces against the universe.
create table if not exists raw.agency_index_scores (
    _load_id             bigint not null,
    _row_number          bigint not null,
    index_code           text,
    edition_year         text,
    period               text,
    unit_level           text,                   -- 'department' or 'commune'
    agency_code          text,                   -- as published (MA_COQUAN)
    agency_name          text,
    gso_code             text,                   -- the province the unit belongs to
    list_version         text,
    component            text,
    value                text,
    rank_published       text,
    methodology_version  text,
    scale_min            text,
    scale_max            text,
    source_file          text,
    source_sheet         text,
    primary key (_load_id, _row_number, component)
);

-- Sheets of a publication a reader read past (a trend, a chart), each with why: a load says what
-- it did not take, not only what it took.
create table if not exists audit.skipped_sheets (
    load_id     bigint not null references audit.loads (load_id),
    sheet_name  text not null,
    reason      text not null,
    primary key (load_id, sheet_name)
);

grant select, insert, update, delete on raw.agency_index_scores, audit.skipped_sheets to etl;
grant select on audit.skipped_sheets to auditor;
