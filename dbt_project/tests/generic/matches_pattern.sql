{# Every non-null value matches a POSIX regular expression (PostgreSQL ~ operator). #}
{% test matches_pattern(model, column_name, pattern) %}

select {{ column_name }} as unmatched_value
from {{ model }}
where {{ column_name }} is not null
  and not ({{ column_name }}::text ~ '{{ pattern }}')

{% endtest %}
