"""A django-debug-toolbar panel listing the remote API requests a page made.

Add it to the toolbar's panels (``"django_api_orm"`` must be in ``INSTALLED_APPS``,
for the panel's template)::

    DEBUG_TOOLBAR_PANELS = [
        *debug_toolbar.settings.PANELS_DEFAULTS,
        "django_api_orm.contrib.debug_toolbar.RequestsPanel",
    ]
"""

from django_api_orm.contrib.debug_toolbar.panel import RequestsPanel

__all__ = ["RequestsPanel"]
