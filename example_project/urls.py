"""URLs of the example project: the provider's API under /api/, the storefront at the root."""

from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import include, path

urlpatterns = [
    path("api/", include("example_project.provider.urls")),
    path("admin/", admin.site.urls),
    path("", include("example_project.storefront.urls")),
    # The storefront's stylesheet, when DEBUG is on (the demo); a deployment serves static
    # files itself.
    *staticfiles_urlpatterns(),
]
