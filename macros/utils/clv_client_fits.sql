{#- The table of CLV fits the client-side fit step writes on engines without dbt
    Python models (`python scripts/clv.py fit --target <engine>`):
    clv_models_fitted in var raw_schema, beside the loaded raw tables (both come
    from outside dbt). None when it does not exist, with a warning naming the
    command (ltv and churn_risk are then unknown); a warning too when it holds
    another as_of_date than the build's (`warn` false: no warnings, the caller
    says why). Not looked up on DuckDB (the fits are the Python models
    int_clv_models_fitted and int_clv_calibration_models_fitted there) nor
    while parsing. -#}
{% macro clv_client_fits_relation(warn=true) %}
    {%- if not execute or python_models_supported() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(
        database=target.database if target.type != 'spark' else none,
        schema=var('raw_schema'), identifier='clv_models_fitted') -%}
    {%- set command = clv_fit_command() -%}
    {%- if relation is none -%}
        {%- if warn -%}
        {{ exceptions.warn(
            "No CLV fit on " ~ target.type ~ " (table " ~ var('raw_schema')
            ~ ".clv_models_fitted is missing): ltv and churn_risk are unknown. Run `"
            ~ command ~ "` after this build, then build the scorers again"
            ~ " (dbt build --select int_clv_parameters+).") }}
        {%- endif -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set dates = run_query(
        "select distinct cast(as_of_date as date) from " ~ relation) -%}
    {%- set wanted = var('as_of_date') | string -%}
    {%- if warn and dates.rows | map(attribute=0) | map('string') | list != [wanted] -%}
        {{ exceptions.warn(
            "The CLV fit in " ~ relation ~ " is not for as_of_date " ~ wanted
            ~ ": ltv and churn_risk are unknown. Run `" ~ command ~ "`, then build"
            ~ " the scorers again (dbt build --select int_clv_parameters+).") }}
    {%- endif -%}
    {{ return(relation) }}
{% endmacro %}

{#- The rows (model, status, reason, parameter, value) of one fit of the
    client-side fit table for the build's as_of_date, as the text of a select,
    or none without a table (clv_client_fits_relation; `warn` as there). `fit`:
    scoring (what int_clv_parameters reads) or backtest (what
    int_clv_backtest_parameters reads), column fit of the table. A table written
    before that column existed (by scripts/clv.py fit before 2026-12-02) holds
    the scoring fit only: its rows are all scoring rows, and it has no backtest
    rows (clv_model_quality then says the fit step must run again). -#}
{% macro clv_client_fit_rows(fit, warn=true) %}
    {%- set relation = clv_client_fits_relation(warn) -%}
    {%- if relation is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation)
        | map(attribute='name') | map('lower') | list -%}
    {%- if 'fit' in columns -%}
        {%- set condition = "fit = '" ~ fit ~ "'" -%}
    {%- elif fit == 'scoring' -%}
        {%- set condition = '1 = 1' -%}
    {%- else -%}
        {%- set condition = '1 = 0' -%}
    {%- endif -%}
    {{ return(
        "select model, status, reason, parameter, value from " ~ relation
        ~ " where cast(as_of_date as date) = " ~ as_of_date()
        ~ " and " ~ condition) }}
{% endmacro %}

{#- The command of the client-side fit step for this target and as_of_date. -#}
{% macro clv_fit_command() %}
    {{ return("python scripts/clv.py fit --target " ~ target.name
        ~ " --vars '{as_of_date: " ~ var('as_of_date') ~ "}'") }}
{% endmacro %}

{#- Write the client-side CLV fit (tag_warehouse/clv_engine.py calls it through
    `dbt run-operation`): replace clv_models_fitted in var raw_schema with `rows`
    (one mapping per row; every value text or none, numbers as Python reprs,
    which the casts read back exactly), columns typed as int_clv_models_fitted;
    the scoring and the backtest fits together (column fit). -#}
{% macro write_clv_fits(rows, columns) %}
    {%- set types = {
        'model': dbt.type_string(), 'status': dbt.type_string(),
        'reason': dbt.type_string(), 'parameter': dbt.type_string(),
        'value': type_double(), 'log_likelihood': type_double(),
        'iterations': dbt.type_bigint(), 'converged': dbt.type_boolean(),
        'customers_used': dbt.type_bigint(), 'spend_remedy': dbt.type_string(),
        'spend_cap': type_double(), 'spend_cap_quantile': type_double(),
        'as_of_date': dbt.type_timestamp(), 'message': dbt.type_string(),
        'fit': dbt.type_string(),
    } -%}
    {%- set selects = [] -%}
    {%- for row in rows -%}
        {%- set values = [] -%}
        {%- for column in columns -%}
            {%- set value = row[column] -%}
            {%- if value is none -%}
                {%- set text = 'null' -%}
            {%- else -%}
                {%- set text = "'" ~ (value | string | replace("'", "''")) ~ "'" -%}
            {%- endif -%}
            {%- do values.append(
                'cast(' ~ text ~ ' as ' ~ types[column] ~ ') as ' ~ column) -%}
        {%- endfor -%}
        {%- do selects.append('select ' ~ values | join(', ')) -%}
    {%- endfor -%}
    {%- set relation = api.Relation.create(
        database=target.database if target.type != 'spark' else none,
        schema=var('raw_schema'), identifier='clv_models_fitted', type='table') -%}
    {%- set existing = adapter.get_relation(
        database=relation.database, schema=relation.schema,
        identifier=relation.identifier) -%}
    {%- if existing is not none -%}
        {%- do adapter.drop_relation(existing) -%}
    {%- endif -%}
    {%- do run_query(create_table_as(false, relation, selects | join('\nunion all\n'))) -%}
    {%- if target.type == 'postgres' -%}
        {%- do run_query('commit') -%}
    {%- endif -%}
    {{ log("CLV fit written to " ~ relation ~ " (" ~ rows | length ~ " rows)", info=True) }}
{% endmacro %}
