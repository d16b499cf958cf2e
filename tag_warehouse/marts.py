"""The six tag marts, one per tag dimension of the spec, in registry order."""

TAG_MARTS = (
    "customer_tags_basic",
    "customer_tags_behavior",
    "customer_tags_value",
    "customer_tags_preference",
    "customer_tags_lifecycle",
    "customer_tags_service",
)
