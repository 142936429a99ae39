"""Admin pages for browsing the provider's data during the demo."""

from django.contrib import admin

from .models import Author, Book, Genre


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "born"]
    search_fields = ["name"]


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ["id", "name"]


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "author", "price", "published", "in_print"]
    list_filter = ["in_print", "genres"]
    search_fields = ["title"]
    raw_id_fields = ["author"]
