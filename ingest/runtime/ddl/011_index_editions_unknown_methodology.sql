-- An index edition no row of the seed index_methodologies covers (PCI 2004, PAPI 2010) is landed
-- as published with methodology_version 'unknown': it has no known scale, so the composite's
-- scale may be empty, and the load checks warn instead of refusing the workbook.
alter table audit.index_editions alter column scale_min drop not null;
alter table audit.index_editions alter column scale_max drop not null;
comment on column audit.index_editions.scale_min is
    'lowest possible composite value under the methodology; null when the methodology is unknown';
comment on column audit.index_editions.scale_max is
    'highest possible composite value under the methodology; null when the methodology is unknown';
