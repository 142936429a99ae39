"""URLs of the example project: the provider's API under /api/."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/", include("example_project.provider.urls")),
    path("admin/", admin.site.urls),
    # The storefront will be mounted here: path("", include("example_project.storefront.urls")),
]
