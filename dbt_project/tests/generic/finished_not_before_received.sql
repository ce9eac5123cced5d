{#
    A dossier cannot finish before it was received. Source systems do deliver such rows
    (clock errors, back-dated entries), so this is usually configured as a warning.
#}
{% test finished_not_before_received(model, received_column='received_at', finished_column='finished_at') %}

select *
from {{ model }}
where {{ finished_column }} < {{ received_column }}

{% endtest %}
