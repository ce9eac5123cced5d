-- The crosswalk's roles agree with its codes and with the merger's shape (DOMAIN.md §3):
-- an unchanged province keeps its code and is alone in its new province; an absorbing
-- centre keeps its code and has company; an absorbed province's code is retired. 11
-- unchanged, 52 merged into 23, 29 codes retired. A province merged away before 2025 (Hà Tây,
-- absorbed_before_2025) follows another old province and is not counted as company in 2025.
with

bridge as (

    select
        *,
        count(*) filter (where role <> 'absorbed_before_2025') over (partition by new_gso_code)
            as constituent_count
    from {{ ref('bridge_province_2025') }}

),

row_problems as (

    select
        old_gso_code,
        role,
        'role does not fit the codes or the constituent count' as problem
    from bridge
    where not case role
        when 'unchanged' then old_gso_code = new_gso_code and constituent_count = 1
        when 'absorbing_centre' then old_gso_code = new_gso_code and constituent_count > 1
        when 'absorbed' then old_gso_code <> new_gso_code and constituent_count > 1
        when 'absorbed_before_2025' then old_gso_code <> new_gso_code
        else false
    end

),

expected_counts (role, row_count) as (

    values ('unchanged', 11), ('absorbing_centre', 23), ('absorbed', 29), ('absorbed_before_2025', 1)

),

count_problems as (

    select
        null::text as old_gso_code,
        expected_counts.role,
        'expected ' || expected_counts.row_count || ' rows, found ' || count(bridge.role) as problem
    from expected_counts
    left join bridge
        on bridge.role = expected_counts.role
    group by expected_counts.role, expected_counts.row_count
    having count(bridge.role) <> expected_counts.row_count

)

select * from row_problems
union all
select * from count_problems
