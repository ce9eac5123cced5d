{#
  Indexes that the BI queries need on the marts (bi/queries/, < 1 s at 5M dossiers as measured
  by bench/bi_bench.py), created once per table by a post-hook: {{ bi_index('<name>') }}.
  `create index if not exists` is not enough: on a full rebuild dbt renames the old table to a
  backup before post-hooks run, the backup's index still holds the name, and nothing would be
  created on the new table. So the name is looked up on this very table.
#}
{% macro bi_index(name) %}
{%- set definitions = {
    'fct_dossiers_finished_month_by_province':
        "(province_key_2025, (date_trunc('month', finished_at at time zone 'Asia/Ho_Chi_Minh')), outcome)"
        ~ " include (finished_at) where outcome in ('early', 'on_time', 'late')",
    'fct_dossiers_finished_working_days_by_procedure': "(procedure_code, working_days_used) where is_finished",
    'fct_dossiers_overdue_by_agency':
        "(agency_code) include (due_at, working_days_used, as_of_date) where is_overdue_at_as_of",
} -%}
do $$ begin
    if not exists (select 1 from pg_indexes where schemaname = '{{ this.schema }}'
                   and tablename = '{{ this.identifier }}' and indexname = '{{ name }}') then
        drop index if exists {{ this.schema }}.{{ name }};
        create index {{ name }} on {{ this }} {{ definitions[name] }};
    end if;
end $$
{% endmacro %}
