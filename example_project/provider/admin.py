"""Admin pages for browsing the provider's data during the demo, at /api/admin/.

The provider's own admin site, apart from ``admin.site`` (the storefront's admin at
/admin/, whose models are remote: ``example_project/storefront/admin.py``).
"""

from django.contrib import admin

from .models import Author, Book, Genre

site = admin.AdminSite(name="provider_admin")
site.site_header = "Bookshop provider administration"


@admin.register(Author, site=site)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "born"]
    search_fields = ["name"]


@admin.register(Genre, site=site)
class GenreAdmin(admin.ModelAdmin):
    list_display = ["id", "name"]


@admin.register(Book, site=site)
class BookAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "author", "price", "published", "in_print"]
    list_filter = ["in_print", "genres"]
    search_fields = ["title"]
    raw_id_fields = ["author"]
