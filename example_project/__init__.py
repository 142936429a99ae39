"""The example project: a DRF provider and (later) a storefront that consumes it."""
