{#
  Indexes that the BI queries need on the marts (bi/queries/; target < 1 s at 5M dossiers, which
  bench/bi_bench.py measures), created once per table by a post-hook: {{ bi_index('<name>') }}.
  The fct_dossiers ones are on fct_dossiers_base, the table under the view BI reads; the view
  adds only the as-of date, a constant, so these indexes serve the queries through it.
#}
{% macro bi_index(name) %}
{%- set definitions = {
    'fct_dossiers_finished_month_by_province':
        "(province_key_2025, (date_trunc('month', finished_at at time zone 'Asia/Ho_Chi_Minh')), outcome)"
        ~ " include (finished_at) where outcome in ('early', 'on_time', 'late')",
    'fct_dossiers_finished_working_days_by_procedure': "(procedure_code, working_days_used) where is_finished",
    'fct_dossiers_overdue_by_agency':
        "(agency_code) include (due_at, working_days_used) where is_overdue_at_as_of",
} -%}
{{ table_index(name, definitions[name]) }}
{% endmacro %}

{#
  Index `name` on this model's table, `definition` being what follows "on <table>" in CREATE INDEX.
  `create index if not exists` is not enough: on a full rebuild dbt renames the old table to a
  backup before post-hooks run, the backup's index still holds the name, and nothing would be
  created on the new table. So the name is looked up on this very table.
#}
{% macro table_index(name, definition) %}
do $$ begin
    if not exists (select 1 from pg_indexes where schemaname = '{{ this.schema }}'
                   and tablename = '{{ this.identifier }}' and indexname = '{{ name }}') then
        drop index if exists {{ this.schema }}.{{ name }};
        create index {{ name }} on {{ this }} {{ definition }};
    end if;
end $$
{% endmacro %}
