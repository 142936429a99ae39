"""When django-debug-toolbar shows (``example_project/settings.py`` installs it with DEBUG on)."""

from debug_toolbar.middleware import show_toolbar as debug_toolbar_show_toolbar
from django.http import HttpRequest


def show_toolbar(request: HttpRequest) -> bool:
    """The toolbar's own rule (DEBUG on, a client in ``INTERNAL_IPS``), on the storefront's pages.

    Not on the provider's API (``/api/``), which shares these settings: the storefront
    calls it from 127.0.0.1, and the toolbar would record each of those calls.
    """
    return debug_toolbar_show_toolbar(request) and not request.path.startswith("/api/")
