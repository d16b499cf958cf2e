{#- The cuts every build's rfm_segment used (spec 3.1), one row per as_of_date:
    method, r_cut, f_cut, m_cut (rounded for display; the exact fractions beside
    them), |P| and the customers set apart as new. History is kept: on DuckDB the
    table is incremental on as_of_date, so a rebuild for a day replaces that
    day's row and other days stay (DECISIONLOG 2026-12-02); a column added later
    is appended, so the history survives an upgrade. Other engines build a table
    of the current build only. -#}
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    on_schema_change='append_new_columns',
) }}

with

segmented as (
    select * from {{ ref('int_customers_rfm_segmented') }}
),

recorded as (
    {#- cast to the contract's types: sums are wider on some engines, and the
        fixed cuts are literals -#}
    select
        as_of_date,
        rfm_cut_method as cut_method,
        cast(rfm_r_cut as {{ dbt.type_numeric() }}) as r_cut,
        cast(rfm_f_cut as {{ dbt.type_numeric() }}) as f_cut,
        cast(rfm_m_cut as {{ dbt.type_numeric() }}) as m_cut,
        cast(rfm_population_size as {{ dbt.type_bigint() }}) as population_size,
        cast(rfm_new_customers as {{ dbt.type_bigint() }}) as new_customers,
        cast(r_cut_numerator as {{ dbt.type_bigint() }}) as r_cut_numerator,
        cast(r_cut_denominator as {{ dbt.type_bigint() }}) as r_cut_denominator,
        cast(f_cut_numerator as {{ dbt.type_bigint() }}) as f_cut_numerator,
        cast(f_cut_denominator as {{ dbt.type_bigint() }}) as f_cut_denominator,
        cast(m_cut_numerator as {{ dbt.type_numeric() }}) as m_cut_numerator,
        cast(m_cut_denominator as {{ dbt.type_bigint() }}) as m_cut_denominator,
        cast(count(*) as {{ dbt.type_bigint() }}) as customers
    from segmented
    group by
        as_of_date,
        rfm_cut_method,
        rfm_r_cut,
        rfm_f_cut,
        rfm_m_cut,
        rfm_population_size,
        rfm_new_customers,
        r_cut_numerator,
        r_cut_denominator,
        f_cut_numerator,
        f_cut_denominator,
        m_cut_numerator,
        m_cut_denominator
)

select * from recorded
