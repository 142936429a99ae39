"""App configuration of the provider."""

from django.apps import AppConfig


class ProviderConfig(AppConfig):
    """The provider app: authors, genres and books served under /api/."""

    name = "example_project.provider"
    label = "provider"
    verbose_name = "Provider (REST API)"
    default_auto_field = "django.db.models.BigAutoField"
