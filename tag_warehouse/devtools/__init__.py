"""Development tools, apart from the product: the synthetic data generator
(generate), the benchmark (benchmark) and its peers (pandas_tags, polars_tags,
floor_tags.sql). The warehouse's dbt models and the published outputs never
import them; tests and the scripts do."""
