"""URLs of the example project: the provider's API under /api/, the storefront at the root.

The storefront's admin (its remote models, edited over the provider's API) is at
/admin/; the provider's own admin (its database tables) at /api/admin/.

With DEBUG on and django-debug-toolbar installed (``settings.DEBUG_TOOLBAR``), the
toolbar's own views answer under ``/__debug__/``.

With DEBUG off, Django answers a 404 or a 500 with the templates ``404.html`` and
``500.html``: the storefront's (``storefront/templates/``), in its own style.
"""

import re

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles.views import serve
from django.urls import include, path, re_path

from example_project.provider.admin import site as provider_admin_site

urlpatterns = [
    path("api/admin/", provider_admin_site.urls),
    path("api/", include("example_project.provider.urls")),
    path("admin/", admin.site.urls),
    path("", include("example_project.storefront.urls")),
]

if apps.is_installed("debug_toolbar"):
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns = debug_toolbar_urls() + urlpatterns

if settings.SERVE_STATIC:
    # The storefront's stylesheet, in the demo (DEBUG on or off); a deployment serves
    # static files itself. ``insecure``: staticfiles' view refuses to run without DEBUG.
    prefix = re.escape(settings.STATIC_URL.lstrip("/"))
    urlpatterns.append(re_path(rf"^{prefix}(?P<path>.*)$", serve, {"insecure": True}))
