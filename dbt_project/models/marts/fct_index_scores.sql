-- Published index values on their own province list, plus values derived onto the 34-province
-- list (2025) from editions published on the 2004 list. Index scores are not additive
-- (DOMAIN.md §3): a derived value is the unweighted mean of the new province's constituents that
-- were provinces during the edition (Hà Tây until 2008-08-01), made only when every one of them
-- has a published value, flagged and never ranked. A series across a change of its province's
-- territory (Hà Nội, Vĩnh Phúc, Hòa Bình on 2008-08-01) is flagged and not compared.
with

published as (

    select
        *,
        {{ period_first_day('period') }} as period_first_day,
        {{ period_last_day('period') }} as period_last_day
    from {{ ref('stg_index__scores') }}

),

methodologies as (

    select * from {{ ref('index_methodologies') }}

),

bridge as (

    select * from {{ ref('bridge_province_2025') }}

),

provinces as (

    select * from {{ ref('dim_province') }}

),

territory_changes as (

    select * from {{ ref('province_territory_changes') }}

),

-- the days each old province was on the 2004 list, beside the new province it went into
constituents as (

    select
        bridge.new_gso_code,
        old_province.valid_from,
        old_province.valid_to
    from bridge
    inner join provinces as old_province
        on old_province.province_key = bridge.old_province_key

),

editions_2004 as (

    select distinct
        index_code,
        period,
        period_first_day,
        period_last_day
    from published
    where list_version = '2004'

),

-- constituents of each new province that were provinces during each edition
constituent_counts as (

    select
        editions_2004.index_code,
        editions_2004.period,
        constituents.new_gso_code,
        count(*) as constituent_count
    from editions_2004
    inner join constituents
        on constituents.valid_from <= editions_2004.period_last_day
        and (constituents.valid_to is null or constituents.valid_to >= editions_2004.period_first_day)
    group by
        editions_2004.index_code,
        editions_2004.period,
        constituents.new_gso_code

),

-- provinces whose territory changed: each one that ceded a part, each one that took territory in
territory_change_days as (

    select
        gso_code || '-' || list_version as province_key,
        changed_on
    from territory_changes
    where change = 'ceded_part'

    union

    select
        into_gso_code || '-' || list_version as province_key,
        changed_on
    from territory_changes

),

constituent_means as (

    select
        published.index_code,
        published.component,
        published.edition_year,
        published.period,
        published.period_first_day,
        published.methodology_version,
        published.scale_min,
        published.scale_max,
        bridge.new_gso_code as gso_code,
        count(published.value) as valued_constituent_count,
        trim_scale(avg(published.value)) as mean_value
    from published
    inner join bridge
        on bridge.old_gso_code = published.gso_code
    where published.list_version = '2004'
    group by
        published.index_code,
        published.component,
        published.edition_year,
        published.period,
        published.period_first_day,
        published.methodology_version,
        published.scale_min,
        published.scale_max,
        bridge.new_gso_code

),

derived as (

    select
        constituent_means.index_code,
        constituent_means.component,
        constituent_means.edition_year,
        constituent_means.period,
        constituent_means.period_first_day,
        constituent_means.gso_code,
        '2025' as list_version,
        constituent_means.mean_value as value,
        null::integer as rank_published,
        true as is_derived,
        'mean_of_constituents' as derivation_method,
        constituent_counts.constituent_count,
        constituent_means.methodology_version,
        constituent_means.scale_min,
        constituent_means.scale_max,
        null::text as tier,
        null::text as published_name,
        null::bigint as load_id,
        null::text as source_file,
        null::text as source_sheet,
        null::text as source_reference
    from constituent_means
    inner join constituent_counts
        on constituent_counts.index_code = constituent_means.index_code
        and constituent_counts.period = constituent_means.period
        and constituent_counts.new_gso_code = constituent_means.gso_code
    where constituent_means.valued_constituent_count = constituent_counts.constituent_count
        -- a value published on the 2025 list itself always wins over a derived one
        and not exists (
            select 1
            from published
            where published.list_version = '2025'
                and published.index_code = constituent_means.index_code
                and published.period = constituent_means.period
                and published.component = constituent_means.component
                and published.gso_code = constituent_means.gso_code
        )

),

scores as (

    select
        index_code,
        component,
        edition_year,
        period,
        period_first_day,
        gso_code,
        list_version,
        value,
        rank_published,
        false as is_derived,
        null::text as derivation_method,
        null::bigint as constituent_count,
        methodology_version,
        scale_min,
        scale_max,
        tier,
        published_name,
        load_id,
        source_file,
        source_sheet,
        source_reference
    from published

    union all

    select * from derived

),

placed as (

    select
        scores.*,
        scores.gso_code || '-' || scores.list_version as province_key,
        {{ index_period_grain('scores.period') }} as period_grain,
        {{ index_ranking_value('scores.value', 'methodologies.higher_is_better') }} as ranking_value
    from scores
    left join methodologies
        on methodologies.index_code = scores.index_code
        and methodologies.methodology_version = scores.methodology_version

),

compared as (

    select
        placed.*,
        -- competition ranking ("1, 2, 2, 4"), as publishers print ties
        rank() over (
            partition by index_code, period, component, list_version, is_derived
            order by ranking_value desc nulls last
        ) as competition_rank,
        lag(period) over series as previous_period,
        lag(period_first_day) over series as previous_period_first_day,
        lag(value) over series as previous_value,
        lag(methodology_version) over series as previous_methodology_version
    from placed
    window series as (
        partition by index_code, component, province_key, period_grain, is_derived
        order by period
    )

),

-- An edition is read on the territory of its period's first day (PCI 2008, surveyed before
-- 2008-08-01, still ranks Hà Tây): a change after the previous edition's first day and by this
-- edition's first day separates the two.
territory_breaks as (

    select distinct
        compared.index_code,
        compared.period,
        compared.province_key,
        compared.component
    from compared
    inner join territory_change_days
        on territory_change_days.province_key = compared.province_key
        and territory_change_days.changed_on > compared.previous_period_first_day
        and territory_change_days.changed_on <= compared.period_first_day

),

flagged as (

    select
        compared.*,
        (territory_breaks.province_key is not null) as is_territory_break
    from compared
    left join territory_breaks
        on territory_breaks.index_code = compared.index_code
        and territory_breaks.period = compared.period
        and territory_breaks.province_key = compared.province_key
        and territory_breaks.component = compared.component

)

select
    -- ids
    (index_code || '|' || period || '|' || province_key || '|' || component)::text as fct_index_scores_id,
    index_code::text as index_code,
    component::text as component,
    edition_year::integer as edition_year,
    period::text as period,
    period_grain::text as period_grain,
    gso_code::text as gso_code,
    list_version::text as list_version,
    province_key::text as province_key,

    -- values
    value::numeric as value,
    rank_published::integer as rank_published,
    is_derived::boolean as is_derived,
    methodology_version::text as methodology_version,
    scale_min::numeric as scale_min,
    scale_max::numeric as scale_max,
    (case
        when scale_max > scale_min then trim_scale(100 * (value - scale_min) / (scale_max - scale_min))
    end)::numeric as value_normalised,
    (case when not is_derived and value is not null then competition_rank end)::integer as rank_recomputed,

    -- comparison with the previous edition of the same series
    previous_period::text as previous_period,
    (case
        when previous_methodology_version = methodology_version and not is_territory_break
            then value - previous_value
    end)::numeric as change_from_previous,
    (previous_methodology_version is not null
        and previous_methodology_version <> methodology_version)::boolean as is_methodology_break,
    is_territory_break::boolean as is_territory_break,

    -- derivation
    derivation_method::text as derivation_method,
    constituent_count::integer as constituent_count,

    -- lineage
    tier::text as tier,
    published_name::text as published_name,
    load_id::bigint as load_id,
    source_file::text as source_file,
    source_sheet::text as source_sheet,
    source_reference::text as source_reference
from flagged
