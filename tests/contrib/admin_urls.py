"""URLs of the admin tests (tests/contrib/test_admin.py): Django's admin site under admin/."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
