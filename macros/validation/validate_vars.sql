{#- Stops the run before any model SQL when a var is not what it must be.
    Vars are pasted into SQL, so this is also the guard against injection. -#}
{% macro validate_vars() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set problems = [] -%}

    {%- set as_of = var('as_of_date') | string -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', as_of) -%}
        {%- do problems.append(
            "as_of_date must be a date written YYYY-MM-DD, got '" ~ as_of ~ "'") -%}
    {%- elif not is_calendar_date(as_of) -%}
        {%- do problems.append("as_of_date '" ~ as_of ~ "' is not a calendar date") -%}
    {%- endif -%}

    {#- Only DuckDB reads the raw files; other engines read tables the loader wrote
        (register_raw_sources checks them). -#}
    {%- set raw_dir = var('raw_data_path') | string -%}
    {%- if target.type != 'duckdb' -%}
    {%- elif "'" in raw_dir or raw_dir | trim == '' -%}
        {%- do problems.append(
            "raw_data_path must be a directory path without quotes, got '"
            ~ raw_dir ~ "'") -%}
    {%- elif run_query(
        "select count(*) from glob('" ~ raw_glob_literal(raw_dir.rstrip('/')) ~ "/*')"
    ).columns[0][0] == 0 -%}
        {%- do problems.append(
            "raw_data_path '" ~ raw_dir ~ "' is not an existing directory with the"
            ~ " raw files (customers, orders, promotions, service_interactions)") -%}
    {%- endif -%}

    {%- if var('raw_csv_encoding') not in ['utf-8', 'utf-16', 'latin-1'] -%}
        {%- do problems.append(
            "raw_csv_encoding must be utf-8, utf-16 or latin-1, got '"
            ~ var('raw_csv_encoding') ~ "'") -%}
    {%- endif -%}

    {%- if (var('raw_csv_delimiter') | string) not in [',', ';', 'tab', '\t'] -%}
        {%- do problems.append(
            "raw_csv_delimiter must be ',', ';' or tab, got '"
            ~ var('raw_csv_delimiter') ~ "'") -%}
    {%- endif -%}

    {%- if var('ltv_time_unit') not in ['week', 'day'] -%}
        {%- do problems.append(
            "ltv_time_unit must be week or day, got '" ~ var('ltv_time_unit') ~ "'") -%}
    {%- endif -%}
    {%- if var('ltv_enabled') is not sameas true and var('ltv_enabled') is not sameas false -%}
        {%- do problems.append(
            "ltv_enabled must be true or false, got '" ~ var('ltv_enabled') ~ "'") -%}
    {%- endif -%}
    {#- Booleans and choices of the segment tags (spec 3.1, 3.2), and the lint's switch. -#}
    {%- for name in ['churn_risk_enabled', 'rfm_segment_single_order_as_new',
            'lint_short_parsers'] -%}
        {%- if var(name) is not sameas true and var(name) is not sameas false -%}
            {%- do problems.append(
                name ~ " must be true or false, got '" ~ var(name) ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if var('rfm_segment_cut') not in ['mean', 'median', 'fixed'] -%}
        {%- do problems.append("rfm_segment_cut must be mean, median or fixed, got '"
            ~ var('rfm_segment_cut') ~ "'") -%}
    {%- endif -%}

    {#- CLV fit failures and the spend remedy (models/intermediate/ltv). -#}
    {%- if var('clv_fit_failure_severity') not in ['warn', 'error'] -%}
        {%- do problems.append("clv_fit_failure_severity must be warn or error, got '"
            ~ var('clv_fit_failure_severity') ~ "'") -%}
    {%- endif -%}
    {%- if var('tag_drift_severity') not in ['warn', 'error'] -%}
        {%- do problems.append("tag_drift_severity must be warn or error, got '"
            ~ var('tag_drift_severity') ~ "'") -%}
    {%- endif -%}
    {%- if var('tag_backtest_severity') not in ['warn', 'error'] -%}
        {%- do problems.append("tag_backtest_severity must be warn or error, got '"
            ~ var('tag_backtest_severity') ~ "'") -%}
    {%- endif -%}
    {%- if var('ltv_spend_remedy') not in ['none', 'winsorise'] -%}
        {%- do problems.append("ltv_spend_remedy must be none or winsorise, got '"
            ~ var('ltv_spend_remedy') ~ "'") -%}
    {%- endif -%}
    {%- set quantiles = var('ltv_winsorise_quantiles') -%}
    {%- if quantiles is string or quantiles is not iterable or quantiles | length == 0
        or quantiles | reject('number') | list
        or quantiles | select('le', 0.5) | list or quantiles | select('gt', 1) | list -%}
        {%- do problems.append("ltv_winsorise_quantiles must be a list of numbers"
            ~ " above 0.5 and at most 1, got '" ~ quantiles ~ "'") -%}
    {%- endif -%}

    {%- do problems.extend(tag_overrides_file_problems()) -%}

    {#- NaN and infinities are numbers to Jinja: x - x is 0 only for finite x. -#}
    {%- set invalid = [] -%}
    {%- set whole_names = whole_number_var_bounds().keys() | list
        + catalogue_whole_number_vars() -%}
    {#- Threshold vars the tag catalogue declares (macros/catalogue, generated). -#}
    {%- set var_bounds = numeric_var_bounds() -%}
    {%- do var_bounds.update(catalogue_var_bounds()) -%}
    {%- for name, bounds in var_bounds.items() -%}
        {%- set value = var(name) -%}
        {%- set whole = name in whole_names -%}
        {%- set kind = "whole number" if whole else "number" -%}
        {%- set problem = none -%}
        {%- if value is not number or value is sameas true or value is sameas false -%}
            {%- set problem = "must be a " ~ kind -%}
        {%- elif value - value != 0 -%}
            {%- set problem = "must be a finite " ~ kind -%}
        {%- elif whole and value % 1 != 0 -%}
            {%- set problem = "must be a whole number" -%}
        {%- elif value < bounds[0] or value > bounds[1] -%}
            {%- set problem = "must be between " ~ bounds[0] ~ " and " ~ bounds[1] -%}
        {%- endif -%}
        {%- if problem is not none -%}
            {%- do invalid.append(name) -%}
            {%- do problems.append(name ~ " " ~ problem ~ ", got " ~ (
                value if value is number and value is not boolean
                else "'" ~ value ~ "'")) -%}
        {%- endif -%}
    {%- endfor -%}

    {%- for ladder in ordered_var_ladders() + catalogue_var_ladders() -%}
        {%- for i in range(ladder | length - 1) -%}
            {%- if ladder[i] not in invalid and ladder[i + 1] not in invalid
                and var(ladder[i]) >= var(ladder[i + 1]) -%}
                {%- do problems.append(
                    ladder[i] ~ " (" ~ var(ladder[i]) ~ ") must be below "
                    ~ ladder[i + 1] ~ " (" ~ var(ladder[i + 1]) ~ ")") -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}

    {%- do problems.extend(raw_value_var_problems()) -%}

    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            "Invalid dbt vars (set them in dbt_project.yml or with --vars):\n  - "
            ~ problems | join("\n  - ")) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- True when text written YYYY-MM-DD names a real day (checked in Jinja, the same
    on every engine). -#}
{% macro is_calendar_date(text) %}
    {%- set parts = text.split('-') | map('int') | list -%}
    {%- set year, month, day = parts[0], parts[1], parts[2] -%}
    {%- set leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) -%}
    {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {{ return(year >= 1 and 1 <= month <= 12 and 1 <= day <= month_days[month - 1]) }}
{% endmacro %}

{#- Every numeric var with the range it must lie in: a finite number (NaN and
    infinities are refused), and a whole one when it is in whole_number_var_bounds. -#}
{% macro numeric_var_bounds() %}
    {%- set bounds = {} -%}
    {%- do bounds.update(whole_number_var_bounds()) -%}
    {%- do bounds.update(fractional_var_bounds()) -%}
    {{ return(bounds) }}
{% endmacro %}

{#- Numeric vars that count something (days, orders, points, employees,
    complaints, rows, years back, hours): finite whole numbers in [min, max]. -#}
{% macro whole_number_var_bounds() %}
    {{ return({
        "window_days": [1, 3660],
        "raw_freshness_warn_after_hours": [1, 87600],
        "raw_freshness_error_after_hours": [1, 87600],
        "frequency_medium_min_orders": [1, 100000],
        "frequency_high_min_orders": [1, 100000],
        "recency_within_30d_max_days": [0, 3660],
        "recency_d31_90_max_days": [0, 3660],
        "recency_d91_180_max_days": [0, 3660],
        "r_score_high_max_days": [0, 3660],
        "r_score_medium_max_days": [0, 3660],
        "level_ordinary_min_rfm": [0, 15],
        "level_important_min_rfm": [0, 15],
        "level_vip_min_rfm": [0, 15],
        "lifecycle_new_max_days": [0, 36600],
        "lifecycle_active_max_days": [0, 36600],
        "lifecycle_at_risk_max_days": [0, 36600],
        "company_medium_min_employees": [1, 100000000],
        "company_large_above_employees": [1, 100000000],
        "complaints_multiple_min": [2, 1000000],
        "time_spine_years_back": [0, 100],
        "rfm_segment_r_days": [0, 3660],
        "rfm_segment_f_orders": [0, 100000],
        "tag_backtest_horizon_days": [1, 3660],
        "clv_holdout_days": [1, 3660],
        "clv_series_terms": [10, 100000],
    }) }}
{% endmacro %}

{#- Numeric vars that measure (amounts, shares, ratings, rates, the LTV horizon in
    years): finite numbers in [min, max]. -#}
{% macro fractional_var_bounds() %}
    {{ return({
        "m_medium": [0, 1000000000000],
        "m_high": [0, 1000000000000],
        "profit_medium_min": [-1, 1],
        "profit_high_above": [-1, 1],
        "promo_medium_min": [0, 1],
        "promo_high_above": [0, 1],
        "satisfaction_satisfied_min": [1, 5],
        "satisfaction_very_satisfied_min": [1, 5],
        "ltv_horizon_years": [0.1, 50],
        "ltv_medium_min": [0, 1000000000000],
        "ltv_high_above": [0, 1000000000000],
        "ltv_annual_discount_rate": [0, 1],
        "tag_health_max_unknown_share": [0, 1],
        "tag_drift_max_points": [0, 100],
        "rfm_segment_m_amount": [0, 1000000000000],
        "clv_series_max_error": [0, 0.001],
    }) }}
{% endmacro %}

{#- Thresholds that must increase along each list, else bands would overlap. -#}
{% macro ordered_var_ladders() %}
    {{ return([
        ["raw_freshness_warn_after_hours", "raw_freshness_error_after_hours"],
        ["frequency_medium_min_orders", "frequency_high_min_orders"],
        ["recency_within_30d_max_days", "recency_d31_90_max_days",
         "recency_d91_180_max_days"],
        ["r_score_high_max_days", "r_score_medium_max_days"],
        ["m_medium", "m_high"],
        ["level_ordinary_min_rfm", "level_important_min_rfm", "level_vip_min_rfm"],
        ["profit_medium_min", "profit_high_above"],
        ["promo_medium_min", "promo_high_above"],
        ["lifecycle_new_max_days", "lifecycle_at_risk_max_days"],
        ["lifecycle_active_max_days", "lifecycle_at_risk_max_days"],
        ["company_medium_min_employees", "company_large_above_employees"],
        ["satisfaction_satisfied_min", "satisfaction_very_satisfied_min"],
        ["ltv_medium_min", "ltv_high_above"],
    ]) }}
{% endmacro %}
