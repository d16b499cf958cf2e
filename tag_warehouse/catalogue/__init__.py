"""The tag catalogue (catalogue/*.yml): load and validate it, then generate the
marts, declared-metric models, registry, docs, tests and history models from it."""
