"""The Django app: add ``"django_api_orm"`` to ``INSTALLED_APPS``."""

from __future__ import annotations

from importlib import import_module

from django.apps import AppConfig, apps
from django.core import checks as django_checks
from django.core.signals import setting_changed

from django_api_orm import checks, conf

__all__ = ["DjangoApiOrmConfig"]

CHECK_TAG = "django_api_orm"


class DjangoApiOrmConfig(AppConfig):
    """Register the system checks and the settings reset; no I/O, no settings read."""

    name = "django_api_orm"
    label = "django_api_orm"
    verbose_name = "Django API ORM"

    def ready(self) -> None:
        django_checks.register(checks.check_services, CHECK_TAG)
        django_checks.register(checks.check_models, CHECK_TAG, django_checks.Tags.models)
        setting_changed.connect(
            conf.on_setting_changed, dispatch_uid="django_api_orm.conf.on_setting_changed"
        )
        if apps.is_installed("django.contrib.admin"):
            # Registers the check that a remote model is registered with RemoteModelAdmin
            # (django_api_orm.E111), and makes the remote models' permissions on migrate,
            # even when no admin module of the project imports django_api_orm.admin.
            import django_api_orm.admin  # noqa: F401
        if apps.is_installed("rest_framework"):
            # ModelSerializer learns this library's fields (its serializer_field_mapping).
            import_module("django_api_orm.contrib.rest_framework")
