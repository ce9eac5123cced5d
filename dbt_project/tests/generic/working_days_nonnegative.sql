{#
    A count of working days can never be negative: the clock is clamped at 0 when a dossier
    finishes before its clock started (received after hours, finished the same evening).
#}
{% test working_days_nonnegative(model, column_name) %}

select {{ column_name }} as working_days
from {{ model }}
where {{ column_name }} < 0

{% endtest %}
