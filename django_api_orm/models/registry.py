"""The registry of declared models, as ``apps.get_models()``, and lazy references."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel

__all__ = ["register", "registered_models", "resolve_model"]

_registry: list[type[RemoteModel]] = []


def registered_models() -> list[type[RemoteModel]]:
    """Return every concrete RemoteModel declared so far, as ``apps.get_models()`` does."""
    return list(_registry)


def register(model: type[RemoteModel]) -> None:
    """Add ``model``; a module imported twice (or a model redeclared) replaces its old class."""
    key = (model.__module__, model.__qualname__)
    _registry[:] = [m for m in _registry if (m.__module__, m.__qualname__) != key]
    _registry.append(model)


def resolve_model(reference: str, *, relative_to: type[RemoteModel]) -> type[RemoteModel]:
    """Return the model a lazy reference names: ``"Author"`` or ``"app_label.Author"``."""
    if "." in reference:
        app_label, _, name = reference.rpartition(".")
        candidates = [m for m in _registry if m._meta.object_name == name]
        candidates = [m for m in candidates if m._meta.app_label == app_label]
    else:
        name = reference
        candidates = [m for m in _registry if m._meta.object_name == name]
        same_module = [m for m in candidates if m.__module__ == relative_to.__module__]
        candidates = same_module or candidates
    if len(candidates) != 1:
        found = "no model" if not candidates else f"{len(candidates)} models"
        raise LookupError(
            f"{relative_to.__name__} refers to {reference!r}, but {found} of that name is "
            "declared. Pass the model class, or 'app_label.ModelName'."
        )
    return candidates[0]
