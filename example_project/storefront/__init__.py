"""The storefront: a shop front built on ``django_api_orm`` over the provider's REST API."""
