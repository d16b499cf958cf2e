-- The typed-native reads of the benchmark's floor (tag_warehouse/devtools/benchmark.py,
-- floor_sql(..., typed_native=True)): on typed Parquet (generate_data.py --format
-- typed: dates as DATE, timestamps as TIMESTAMP, amounts as DECIMAL, counts as
-- integers) each CTE below replaces the CTE of the same name in floor_tags.sql, so
-- the query reads the typed columns as they are and parses no text but the text
-- columns (ids, codes: cleaned as in floor_tags.sql). Everything after the reads
-- (checks, latest version, tags) is floor_tags.sql's, unchanged. A typed value
-- cannot be malformed: what is left to check is what staging checks on typed
-- values (null, negative, out of range, the plausible years 1900-2100 of vars
-- raw_min_year/raw_max_year, future dates). The text-reading CTEs of floor_tags.sql
-- are then read by nothing and not run.

customers_parsed as (
    select
        file_row_number as source_row,
        nullif(
            case
                when
                    customer_id[1] <= ' ' or customer_id[1] = chr(12288)
                    or customer_id[-1] <= ' ' or customer_id[-1] = chr(12288)
                    then trim(customer_id, ' ' || chr(9) || chr(10) || chr(13) || chr(12288))
                else customer_id
            end,
            ''
        ) as customer_id,
        lower(trim(customer_type, ' ' || chr(9) || chr(10) || chr(13) || chr(12288)))
            as customer_type_key,
        lower(trim(industry, ' ' || chr(9) || chr(10) || chr(13) || chr(12288)))
            as industry_key,
        lower(trim(province, ' ' || chr(9) || chr(10) || chr(13) || chr(12288)))
            as province_key,
        lower(trim(decision_role, ' ' || chr(9) || chr(10) || chr(13) || chr(12288)))
            as decision_role_key,
        created_at as raw_created_at,
        employee_count as raw_employee_count,
        employee_count,
        case
            when year(created_at) between 1900 and 2100 then cast(created_at as timestamp)
        end as created_at,
        case
            when year(updated_at) between 1900 and 2100 then cast(updated_at as timestamp)
        end as updated_at
    from read_parquet(
        getvariable('raw_dir') || '/customers.parquet', file_row_number = true
    )
),

promotions_dated as (
    select
        file_row_number as source_row,
        nullif(trim(promotion_id, ' ' || chr(9) || chr(10) || chr(13) || chr(12288)), '')
            as promotion_id,
        discount_rate as raw_discount_rate,
        try_cast(discount_rate as decimal(18, 4)) as discount_rate,
        case
            when year(start_date) between 1900 and 2100 then cast(start_date as date)
        end as start_date,
        case
            when year(end_date) between 1900 and 2100 then cast(end_date as date)
        end as end_date
    from read_parquet(
        getvariable('raw_dir') || '/promotions.parquet', file_row_number = true
    )
),

orders_parsed as (
    select
        file_row_number as source_row,
        nullif(
            case
                when
                    order_id[1] <= ' ' or order_id[1] = chr(12288)
                    or order_id[-1] <= ' ' or order_id[-1] = chr(12288)
                    then trim(order_id, ' ' || chr(9) || chr(10) || chr(13) || chr(12288))
                else order_id
            end,
            ''
        ) as order_id,
        nullif(
            case
                when
                    customer_id[1] <= ' ' or customer_id[1] = chr(12288)
                    or customer_id[-1] <= ' ' or customer_id[-1] = chr(12288)
                    then trim(customer_id, ' ' || chr(9) || chr(10) || chr(13) || chr(12288))
                else customer_id
            end,
            ''
        ) as customer_id,
        case
            when year(order_date) between 1900 and 2100 then cast(order_date as date)
        end as order_date,
        coalesce(
            replace(
                lower(nullif(
                    case
                        when
                            product_category[1] <= ' ' or product_category[1] = chr(12288)
                            or product_category[-1] <= ' '
                            or product_category[-1] = chr(12288)
                            then trim(
                                product_category,
                                ' ' || chr(9) || chr(10) || chr(13) || chr(12288)
                            )
                        else product_category
                    end,
                    ''
                )),
                ' ', '_'
            ),
            'unknown'
        ) as product_category,
        try_cast(amount as decimal(18, 4)) as amount,
        try_cast(cost as decimal(18, 4)) as cost,
        nullif(
            case
                when
                    promotion_id[1] <= ' ' or promotion_id[1] = chr(12288)
                    or promotion_id[-1] <= ' ' or promotion_id[-1] = chr(12288)
                    then trim(promotion_id, ' ' || chr(9) || chr(10) || chr(13) || chr(12288))
                else promotion_id
            end,
            ''
        ) as promotion_id,
        lower(nullif(
            case
                when
                    status[1] <= ' ' or status[1] = chr(12288)
                    or status[-1] <= ' ' or status[-1] = chr(12288)
                    then trim(status, ' ' || chr(9) || chr(10) || chr(13) || chr(12288))
                else status
            end,
            ''
        )) as status_key,
        case
            when year(updated_at) between 1900 and 2100 then cast(updated_at as timestamp)
        end as updated_at
    from read_parquet(
        getvariable('raw_dir') || '/orders.parquet', file_row_number = true
    )
),

interactions_typed as (
    select
        file_row_number as source_row,
        nullif(trim(interaction_id, ' ' || chr(9) || chr(10) || chr(13) || chr(12288)), '')
            as interaction_id,
        nullif(trim(customer_id, ' ' || chr(9) || chr(10) || chr(13) || chr(12288)), '')
            as customer_id,
        lower(trim(channel, ' ' || chr(9) || chr(10) || chr(13) || chr(12288)))
            as channel_key,
        lower(trim(interaction_type, ' ' || chr(9) || chr(10) || chr(13) || chr(12288)))
            as interaction_type_key,
        satisfaction as raw_satisfaction,
        satisfaction,
        case
            when year(occurred_at) between 1900 and 2100
                then cast(cast(occurred_at as timestamp) as date)
        end as occurred_date
    from read_parquet(
        getvariable('raw_dir') || '/service_interactions.parquet',
        file_row_number = true
    )
)
