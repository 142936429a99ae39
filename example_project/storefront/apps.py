"""The storefront app: pages over the provider's books, authors and genres."""

from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "example_project.storefront"
    label = "storefront"
    verbose_name = "Storefront"
