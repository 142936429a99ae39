"""Managers: from_queryset() and as_manager() keep signatures and docstrings, as Django's."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from django_api_orm import Manager, QuerySet, RemoteModel, fields


class ArticleQuerySet(QuerySet[Any]):
    def live(self, *, since: int = 0) -> ArticleQuerySet:
        """Return the articles that are live."""
        return self.filter(state="live")  # type: ignore[return-value]

    def _private(self) -> None:
        """Stay off the manager."""


class Article(RemoteModel):
    state = fields.CharField()
    objects = Manager.from_queryset(ArticleQuerySet)()
    drafts = ArticleQuerySet.as_manager()

    class Meta:
        endpoint = "articles/"


def test_from_queryset_copies_methods_with_signatures_and_docs() -> None:
    """Exposes the queryset's public methods on the manager with their signature and docstring."""
    method = Article.objects.live
    assert method.__doc__ == "Return the articles that are live."
    assert str(inspect.signature(method)) == "(*, since: 'int' = 0) -> 'ArticleQuerySet'"
    assert isinstance(Article.objects.live(), ArticleQuerySet)
    assert not hasattr(Article.objects, "_private")


def test_as_manager_returns_a_manager_of_that_queryset() -> None:
    """Builds a manager from the queryset class with as_manager()."""
    assert isinstance(Article.drafts.live(), ArticleQuerySet)
    assert Article._default_manager is Article.objects


def test_manager_methods_keep_async_signatures() -> None:
    """Keeps acount/aget signatures and docstrings on the default manager."""
    assert inspect.iscoroutinefunction(Article.objects.acount)
    assert "pk=3" in (Article.objects.aget.__doc__ or "")
    assert list(inspect.signature(Article.objects.aiterator).parameters) == [
        "chunk_size",
        "prefetch",
    ]
    assert (Article.objects.count.__doc__ or "").startswith("Sync twin of :meth:`acount`")


def test_manager_is_not_reachable_from_instances() -> None:
    """Raises AttributeError for instance.objects, as Django does."""
    with pytest.raises(AttributeError, match="isn't accessible via Article instances"):
        Article(state="x").objects  # noqa: B018
