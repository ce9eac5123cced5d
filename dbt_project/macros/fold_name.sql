{#
    Name folding in SQL, the twin of the Python functions ingest.text.fold,
    ingest.reference.provinces.spaced_fold and ingest.reference.provinces.name_key (tests/warehouse/test_reference_dbt.py
    checks that they agree on every name in the real workbooks and on random Vietnamese text).

    PostgreSQL has no unaccent unless the extension is installed, so the Vietnamese letters
    are mapped with translate(): every precomposed vowel with its marks (both cases) and đ/Đ
    become their ASCII base letter, and loose combining marks (U+0300–U+036F, decomposed
    input) are dropped. Letters outside Vietnamese (ñ, ç, ...) are not mapped and therefore
    dropped as punctuation, where Python's fold keeps their base letter.
#}

{% macro vietnamese_letters() -%}
    {{ return({
        'a': 'àáảãạăằắẳẵặâầấẩẫậÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ',
        'd': 'đĐ',
        'e': 'èéẻẽẹêềếểễệÈÉẺẼẸÊỀẾỂỄỆ',
        'i': 'ìíỉĩịÌÍỈĨỊ',
        'o': 'òóỏõọôồốổỗộơờớởỡợÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ',
        'u': 'ùúủũụưừứửữựÙÚỦŨỤƯỪỨỬỮỰ',
        'y': 'ỳýỷỹỵỲÝỶỸỴ',
    }) }}
{%- endmacro %}

{# Lower-case ASCII letters for the Vietnamese ones, combining marks dropped; the rest as is. #}
{% macro fold_letters(expression) -%}
    {%- set letters = vietnamese_letters() -%}
    {%- set source = letters.values() | join('') -%}
    {%- set target = namespace(text='') -%}
    {%- for base, accented in letters.items() -%}
        {%- set target.text = target.text ~ (base * (accented | length)) -%}
    {%- endfor -%}
    lower(regexp_replace(translate({{ expression }}, '{{ source }}', '{{ target.text }}'), '[\u0300-\u036f]+', '', 'g'))
{%- endmacro %}

{# ingest.text.fold: lower-case, no diacritics, only a-z and 0-9 ("Tp. Hồ Chí Minh" -> "tphochiminh"). #}
{% macro fold_name(expression) -%}
    regexp_replace({{ fold_letters(expression) }}, '[^0-9a-z]+', '', 'g')
{%- endmacro %}

{# ingest.reference.provinces.spaced_fold: as fold_name, but each run of other characters becomes one
   space, trimmed ("Tp. Hồ Chí Minh" -> "tp ho chi minh"); lets rules look at whole words. #}
{% macro fold_name_words(expression) -%}
    trim(regexp_replace({{ fold_letters(expression) }}, '[^0-9a-z]+', ' ', 'g'))
{%- endmacro %}

{# ingest.reference.provinces.name_key: the folded name without leading unit prefixes (tỉnh, thành phố,
   TP., TT., T.): "TP. Hồ Chí Minh" -> "hochiminh", "TT- Huế" -> "hue". #}
{% macro province_name_key(expression) -%}
    replace(regexp_replace({{ fold_name_words(expression) }} || ' ', '^((tinh|thanh pho|tp|tt|t) )+', ''), ' ', '')
{%- endmacro %}
