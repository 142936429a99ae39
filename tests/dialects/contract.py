"""What a dialect's case states: its requests, its answers and what they read to.

A case is data. The contract suite (``test_contract.py``) runs the same
scenarios (``scenarios.py``) and the same readings against every case, so a new
dialect is one more ``DialectCase`` in its ``CASES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from django_api_orm.pagination import Page

__all__ = ["Answer", "DialectCase", "Pages", "Sent"]


class Sent(NamedTuple):
    """One request as it left: method, raw path and query string, JSON body."""

    method: str
    target: str
    body: Any = None


class Answer(NamedTuple):
    """One answer a provider gives: its JSON body and headers."""

    body: Any
    headers: Mapping[str, str] = {}


@dataclass(frozen=True)
class Pages:
    """Books 1, 2 and 3, ``order_by("id")``, in pages of two (``PAGE_SIZE: 2``) of one style."""

    #: The list requests, in order (raw path and query string).
    requests: tuple[str, ...]
    #: The answer to each.
    answers: tuple[Answer, ...]
    #: What the dialect reads from the first answer.
    first: Page


@dataclass(frozen=True)
class DialectCase:
    """One dialect's answers to the contract, as data."""

    #: The test id.
    id: str
    #: The dotted path a service's ``DIALECT`` names.
    dialect: str

    # --- answers the scenarios are given ----------------------------------------
    #: A list answer with no rows, in the default pagination style.
    empty_list: Any
    #: The detail of book 3 (see ``BOOK_3`` in ``test_contract.py``), also the answer to writes.
    book: Any
    #: The row the dialect reads from ``book``.
    book_row: dict[str, Any]
    #: The detail of chapter 5 of book 3, a "verse" (a choice) by its title "Prologue".
    chapter: Any
    #: The detail of author 1, "Frank Herbert".
    author: Any
    #: A list answer holding book 3 with its author (1, "Frank Herbert") nested whole.
    with_author: Any
    #: A list answer that is not a page of the default style: it must be refused.
    not_a_page: Any

    # --- requests ---------------------------------------------------------------
    #: Scenario name -> every request it sends, in order.
    requests: Mapping[str, tuple[Sent, ...]]
    #: What reading ``book.author`` sends after ``aget(pk=3)`` read the ``book`` answer.
    author_loads: tuple[Sent, ...]
    #: Scenario name -> a fragment of the ``NotSupportedError`` it raises instead.
    unsupported: Mapping[str, str]
    #: The query string of ``filter(id__in=[1, 2], title="Dune")`` when a subclass of
    #: the dialect sets ``repeat_multiple_values = True``.
    repeated: str

    # --- readings ---------------------------------------------------------------
    #: Pagination style name -> books 1, 2, 3 listed in that style.
    pages: Mapping[str, Pages]
    #: A foreign key's wire value -> ``related_pk``'s ``(pk, nested row or None)``.
    related: tuple[tuple[Any, tuple[Any, dict[str, Any] | None]], ...]
    #: Wire values of a foreign key that ``related_pk`` refuses with ``ValueError``.
    related_refused: tuple[Any, ...]
    #: A choice field's wire value -> the value ``choice_value`` reads.
    choices: tuple[tuple[Any, Any], ...]
    #: A 400 answer's body -> the ``BadRequestError.message_dict`` it becomes.
    errors: tuple[tuple[Any, dict[str, list[str]]], ...]

    def __str__(self) -> str:
        return self.id
