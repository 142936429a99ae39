"""pre_save, post_save, pre_delete and post_delete: arguments, order, and where receivers run."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx
from asgiref.sync import async_to_sync
from django.dispatch import Signal

from django_api_orm.signals import post_delete, post_save, pre_delete, pre_save
from tests.models.conftest import book, page
from tests.testapp.models import Author, Book

SIGNALS = {"pre_save": pre_save, "post_save": post_save}
DELETE_SIGNALS = {"pre_delete": pre_delete, "post_delete": post_delete}


class Recorder:
    """Receivers that note each signal, with its arguments and the requests sent before it."""

    def __init__(self, api: respx.MockRouter) -> None:
        self.api = api
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._connected: list[tuple[Signal, Callable[..., Any]]] = []

    def connect(
        self, signals: dict[str, Signal], *, sender: type = Book, asynchronous: bool = False
    ) -> None:
        for name, signal in signals.items():
            receiver = self._async_receiver(name) if asynchronous else self._receiver(name)
            signal.connect(receiver, sender=sender, weak=False)
            self._connected.append((signal, receiver))

    def _note(self, name: str, kwargs: dict[str, Any]) -> None:
        instance = kwargs["instance"]
        kwargs["pk"] = instance.pk
        kwargs["sent"] = [f"{c.request.method} {c.request.url.path}" for c in self.api.calls]
        kwargs["thread"] = threading.get_ident()
        self.events.append((name, kwargs))

    def _receiver(self, name: str) -> Callable[..., None]:
        def receiver(**kwargs: Any) -> None:
            self._note(name, kwargs)

        return receiver

    def _async_receiver(self, name: str) -> Callable[..., Any]:
        async def receiver(**kwargs: Any) -> None:
            kwargs["loop"] = asyncio.get_running_loop()
            self._note(f"async {name}", kwargs)

        return receiver

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def disconnect(self) -> None:
        for signal, receiver in self._connected:
            signal.disconnect(receiver, sender=Book)
            signal.disconnect(receiver, sender=Author)


@pytest.fixture
def recorder(api: respx.MockRouter) -> Iterator[Recorder]:
    rec = Recorder(api)
    yield rec
    rec.disconnect()


def args(event: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """The signal's own arguments, without what the recorder added."""
    return {
        k: v
        for k, v in event[1].items()
        if k not in {"pk", "sent", "thread", "loop", "instance", "signal"}
    }


async def test_asave_of_a_new_object_sends_pre_and_post_save(
    api: respx.MockRouter, recorder: Recorder
) -> None:
    """Sends pre_save before the POST (no pk yet) and post_save after it, created=True,
    with Django's arguments."""
    recorder.connect(SIGNALS)
    api.post("books/").respond(201, json=book(7, title="Dune"))
    obj = Book(title="Dune", author_id=1)
    await obj.asave()
    assert recorder.names() == ["pre_save", "post_save"]
    pre, post = recorder.events
    assert args(pre) == {"sender": Book, "raw": False, "using": "default", "update_fields": None}
    assert args(post) == {
        "sender": Book,
        "created": True,
        "raw": False,
        "using": "default",
        "update_fields": None,
    }
    assert pre[1]["instance"] is obj and post[1]["instance"] is obj
    assert pre[1]["signal"] is pre_save and post[1]["signal"] is post_save
    assert (pre[1]["pk"], pre[1]["sent"]) == (None, [])
    assert (post[1]["pk"], post[1]["sent"]) == (7, ["POST /api/books/"])


async def test_asave_with_update_fields_sends_them_as_a_frozenset(
    api: respx.MockRouter, recorder: Recorder
) -> None:
    """Sends update_fields as a frozenset and created=False for a PATCH."""
    recorder.connect(SIGNALS)
    api.patch("books/7/").respond(json=book(7, title="New"))
    obj = Book.from_api(book(7))
    obj.title = "New"
    await obj.asave(update_fields=["title"])
    pre, post = recorder.events
    assert pre[1]["update_fields"] == frozenset({"title"})
    assert isinstance(pre[1]["update_fields"], frozenset)
    assert (post[1]["created"], post[1]["update_fields"]) == (False, frozenset({"title"}))
    assert post[1]["sent"] == ["PATCH /api/books/7/"]


async def test_empty_update_fields_sends_no_signal(
    api: respx.MockRouter, recorder: Recorder
) -> None:
    """Saves nothing and sends nothing for update_fields=[], as Django."""
    recorder.connect(SIGNALS)
    await Book.from_api(book(7)).asave(update_fields=[])
    assert recorder.events == []
    assert not api.calls


async def test_a_pre_save_receiver_may_change_what_is_sent(api: respx.MockRouter) -> None:
    """Sends the values a pre_save receiver set (a slug, a timestamp), as Django saves them."""
    route = api.put("books/7/").respond(json=book(7, title="SET BY RECEIVER"))

    def shout(instance: Book, **kwargs: Any) -> None:
        instance.title = instance.title.upper()

    pre_save.connect(shout, sender=Book)
    try:
        obj = Book.from_api(book(7))
        obj.title = "set by receiver"
        await obj.asave()
    finally:
        pre_save.disconnect(shout, sender=Book)
    assert json.loads(route.calls[0].request.content)["title"] == "SET BY RECEIVER"


@pytest.mark.parametrize("mode", ["async", "sync"])
def test_a_raising_pre_save_receiver_aborts_the_write(api: respx.MockRouter, mode: str) -> None:
    """Propagates a pre_save receiver's exception and sends no request (Django's send())."""

    def refuse(**kwargs: Any) -> None:
        raise PermissionError("read-only today")

    pre_save.connect(refuse, sender=Book)
    obj = Book(title="x", author_id=1)
    try:
        save = async_to_sync(obj.asave) if mode == "async" else obj.save
        with pytest.raises(PermissionError, match="read-only today"):
            save()
    finally:
        pre_save.disconnect(refuse, sender=Book)
    assert not api.calls
    assert obj.pk is None


async def test_async_path_awaits_async_receivers_on_the_callers_loop(
    api: respx.MockRouter, recorder: Recorder
) -> None:
    """Awaits an async receiver on the loop of ``await obj.asave()``; a sync receiver
    runs off that loop (Django's asend(): sync_to_async)."""
    recorder.connect({"pre_save": pre_save})
    recorder.connect({"post_save": post_save}, asynchronous=True)
    api.post("books/").respond(201, json=book(7))
    await Book(title="x", author_id=1).asave()
    assert recorder.names() == ["pre_save", "async post_save"]
    assert recorder.events[1][1]["loop"] is asyncio.get_running_loop()
    assert recorder.events[0][1]["thread"] != threading.get_ident()


def test_sync_save_runs_sync_receivers_in_the_callers_thread(
    api: respx.MockRouter, recorder: Recorder
) -> None:
    """Runs sync receivers of ``obj.save()`` in the calling thread (as Django's send(),
    so they share its database connection), and async receivers too."""
    recorder.connect(SIGNALS)
    recorder.connect(SIGNALS, asynchronous=True)
    api.post("books/").respond(201, json=book(7))
    api.put("books/7/").respond(json=book(7))
    obj = Book(title="x", author_id=1)
    obj.save()
    obj.save()
    assert recorder.names() == ["pre_save", "async pre_save", "post_save", "async post_save"] * 2
    here = threading.get_ident()
    assert [e[1]["thread"] == here for e in recorder.events if "async" not in e[0]] == [True] * 4
    assert [e[1]["created"] for e in recorder.events if "post" in e[0]] == [
        True,
        True,
        False,
        False,
    ]
    assert recorder.events[-1][1]["sent"] == ["POST /api/books/", "PUT /api/books/7/"]


def test_sync_receiver_may_save_another_object(api: respx.MockRouter) -> None:
    """Lets a sync receiver of ``save()`` call ``save()`` itself (no deadlock)."""
    api.post("books/").respond(201, json=book(7))
    api.put("authors/1/").respond(json={"id": 1, "name": "Ann"})

    def touch_author(instance: Book, created: bool, **kwargs: Any) -> None:
        Author.from_api({"id": 1, "name": "Ann"}).save()

    post_save.connect(touch_author, sender=Book)
    try:
        Book(title="x", author_id=1).save()
    finally:
        post_save.disconnect(touch_author, sender=Book)
    assert [c.request.method for c in api.calls] == ["POST", "PUT"]


async def test_manager_create_and_get_or_create_send_signals(
    api: respx.MockRouter, recorder: Recorder
) -> None:
    """Sends pre_save/post_save for create() and get_or_create()'s create, as Django."""
    recorder.connect(SIGNALS)
    api.post("books/").respond(201, json=book(7))
    api.get("books/").respond(json=page([]))
    await Book.objects.acreate(title="x", author_id=1)
    await Book.objects.aget_or_create(title="y", defaults={"author_id": 1})
    assert recorder.names() == ["pre_save", "post_save"] * 2
    assert [e[1]["created"] for e in recorder.events if e[0] == "post_save"] == [True, True]


async def test_bulk_writes_and_queryset_update_send_no_signal(
    api: respx.MockRouter, recorder: Recorder
) -> None:
    """Sends none for bulk_create(), bulk_update() and update(), as Django."""
    recorder.connect(SIGNALS)
    api.post("books/").respond(201, json=book(7))
    api.patch("books/7/").respond(json=book(7))
    api.get("books/").respond(json=page([book(7, title="x")]))
    await Book.objects.abulk_create([Book(title="x", author_id=1)])
    await Book.objects.abulk_update([Book.from_api(book(7))], ["title"])
    await Book.objects.filter(title="x").aupdate(title="y")
    assert recorder.events == []
    assert len(api.calls) == 4


async def test_using_is_the_alias_written_to(recorder: Recorder) -> None:
    """Sends ``using`` as the service alias of the write: the one the object came from."""
    recorder.connect(SIGNALS | DELETE_SIGNALS)
    with respx.mock(base_url="http://127.0.0.1:9/api/") as other:
        recorder.api = other
        other.get("books/").respond(json=page([book(1)]))
        other.put("books/1/").respond(json=book(1))
        other.delete("books/1/").respond(204)
        obj = await Book.objects.using("provider").aget(title="Book 1")
        await obj.asave()
        await obj.adelete()
    assert recorder.names() == ["pre_save", "post_save", "pre_delete", "post_delete"]
    assert {e[1]["using"] for e in recorder.events} == {"provider"}


async def test_signals_for_another_model_are_not_received(
    api: respx.MockRouter, recorder: Recorder
) -> None:
    """Calls a receiver connected with sender=Author only for authors."""
    recorder.connect(SIGNALS, sender=Author)
    api.post("books/").respond(201, json=book(7))
    await Book(title="x", author_id=1).asave()
    assert recorder.events == []


async def test_adelete_sends_pre_and_post_delete(api: respx.MockRouter, recorder: Recorder) -> None:
    """Sends pre_delete before the DELETE and post_delete after it, the pk still set, with
    origin the instance; the pk is None afterwards, as Django."""
    recorder.connect(DELETE_SIGNALS)
    api.delete("books/7/").respond(204)
    obj = Book.from_api(book(7))
    await obj.adelete()
    pre, post = recorder.events
    assert args(pre) == {"sender": Book, "using": "default", "origin": obj}
    assert args(post) == {"sender": Book, "using": "default", "origin": obj}
    assert (pre[0], pre[1]["pk"], pre[1]["sent"]) == ("pre_delete", 7, [])
    assert (post[0], post[1]["pk"], post[1]["sent"]) == ("post_delete", 7, ["DELETE /api/books/7/"])
    assert obj.pk is None


def test_sync_delete_runs_receivers_in_the_callers_thread(
    api: respx.MockRouter, recorder: Recorder
) -> None:
    """Runs delete()'s sync receivers in the calling thread, and async ones too."""
    recorder.connect(DELETE_SIGNALS)
    recorder.connect(DELETE_SIGNALS, asynchronous=True)
    api.delete("books/7/").respond(204)
    Book.from_api(book(7)).delete()
    assert recorder.names() == [
        "pre_delete",
        "async pre_delete",
        "post_delete",
        "async post_delete",
    ]
    assert recorder.events[0][1]["thread"] == threading.get_ident()
    assert recorder.events[2][1]["thread"] == threading.get_ident()


async def test_a_raising_pre_delete_receiver_aborts_the_delete(api: respx.MockRouter) -> None:
    """Propagates a pre_delete receiver's exception; nothing is deleted, the pk stays."""

    def refuse(**kwargs: Any) -> None:
        raise PermissionError("keep it")

    pre_delete.connect(refuse, sender=Book)
    api.get("books/").respond(json=page([book(1), book(2)]))
    obj = Book.from_api(book(7))
    try:
        with pytest.raises(PermissionError):
            await obj.adelete()
        with pytest.raises(PermissionError):
            await Book.objects.all().adelete()
    finally:
        pre_delete.disconnect(refuse, sender=Book)
    assert obj.pk == 7
    assert [c.request.method for c in api.calls] == ["GET"]


@pytest.mark.parametrize("mode", ["async", "sync"])
async def test_queryset_delete_sends_per_object_as_djangos_collector(
    api: respx.MockRouter, recorder: Recorder, mode: str
) -> None:
    """Sends pre_delete for every object, then DELETEs, then post_delete for every one,
    origin the queryset (Django's Collector); sync code runs receivers in its thread."""
    recorder.connect(DELETE_SIGNALS)
    api.get("books/").respond(json=page([book(1), book(2)]))
    api.delete("books/1/").respond(204)
    api.delete("books/2/").respond(404)  # already gone: deleted all the same
    qs = Book.objects.filter(in_print=True)
    if mode == "async":
        assert await qs.adelete() == (2, {"testapp.Book": 2})
        caller = threading.get_ident()
    else:

        def run() -> tuple[int, Any]:
            return qs.delete()

        # A thread of its own, as sync code has (this test's own thread runs a loop).
        result: list[Any] = []
        thread = threading.Thread(target=lambda: result.append((run(), threading.get_ident())))
        thread.start()
        await asyncio.to_thread(thread.join)
        ((deleted, caller),) = result
        assert deleted == (2, {"testapp.Book": 2})
    assert recorder.names() == ["pre_delete", "pre_delete", "post_delete", "post_delete"]
    assert [e[1]["pk"] for e in recorder.events] == [1, 2, 1, 2]
    assert all(e[1]["origin"] is qs for e in recorder.events)
    assert [len(e[1]["sent"]) for e in recorder.events] == [1, 1, 3, 3]
    assert [e[1]["instance"].pk for e in recorder.events] == [None] * 4
    if mode == "sync":
        assert {e[1]["thread"] for e in recorder.events} == {caller}


async def test_queryset_delete_tells_what_was_deleted_when_another_delete_fails(
    api: respx.MockRouter, recorder: Recorder
) -> None:
    """Sends post_delete for the objects deleted, and raises the failed DELETE's error."""
    recorder.connect(DELETE_SIGNALS)
    api.get("books/").respond(json=page([book(1), book(2)]))
    api.delete("books/1/").respond(204)
    api.delete("books/2/").mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(Exception, match="down"):
        await Book.objects.all().adelete()
    assert recorder.names() == ["pre_delete", "pre_delete", "post_delete"]
    assert recorder.events[2][1]["pk"] == 1
