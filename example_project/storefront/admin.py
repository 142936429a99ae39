"""The storefront's admin: the provider's books, authors and genres, edited over its API.

Each model is registered with a ``RemoteModelAdmin``: the changelist shows the
provider's pages, the search box sends the provider's ``search=``, the filters are
the provider's (``Meta.filter_fields``), and saving or deleting calls the API.
"""

from django.contrib import admin

from django_api_orm.admin import RemoteModelAdmin

from .models import Author, Book, Genre


class BookAdmin(RemoteModelAdmin):
    list_display = ["title", "author", "price", "published", "in_print"]
    list_filter = ["in_print", "published", "author"]
    search_fields = ["title"]
    ordering = ["title"]
    readonly_fields = ["created_at"]


class AuthorAdmin(RemoteModelAdmin):
    list_display = ["name", "born"]
    search_fields = ["name"]
    ordering = ["name"]


class GenreAdmin(RemoteModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    ordering = ["name"]


admin.site.register(Book, BookAdmin)
admin.site.register(Author, AuthorAdmin)
admin.site.register(Genre, GenreAdmin)
