"""The test settings' ROOT_URLCONF: the storefront at the root, as in the example project."""

from django.urls import include, path

urlpatterns = [path("", include("example_project.storefront.urls"))]
