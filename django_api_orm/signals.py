"""Signals the library sends: Django's model signals for remote models, and one for
code that watches the requests it makes.

``pre_save``, ``post_save``, ``pre_delete``, ``post_delete``
    Django's model signals, with Django's arguments, sent by ``save()``/``asave()``
    (and ``create()``, ``get_or_create()``, ``update_or_create()``), ``delete()``/
    ``adelete()`` of an instance, and per object by a queryset's ``delete()``:

    - ``pre_save(sender, instance, raw, using, update_fields)``
    - ``post_save(sender, instance, created, raw, using, update_fields)``
    - ``pre_delete(sender, instance, using, origin)``
    - ``post_delete(sender, instance, using, origin)``

    ``sender`` is the model class, ``using`` the service alias written to,
    ``update_fields`` a ``frozenset`` of the names given to ``save()`` or ``None``,
    ``raw`` always ``False``, ``origin`` the instance or queryset whose delete was
    called. As in Django, a receiver's exception propagates: raised in ``pre_save``
    or ``pre_delete`` it stops the write before any request. Sync code
    (``book.save()``) sends them with ``Signal.send()`` in the caller's thread, so a
    receiver uses that thread's database connection and transaction; async code
    (``await book.asave()``) sends them with ``Signal.asend()`` on the caller's loop.
    ``bulk_create()``, ``bulk_update()`` and a queryset's ``update()`` send none, as
    in Django. With no receiver connected they cost nothing.

``request_finished``
    Sent once per logical request of an :class:`~django_api_orm.AsyncServiceClient`
    (after its retries and redirects), with ``sender`` the service alias (``None``
    for a client built by hand) and the keyword arguments:

    - ``method``: ``"GET"``, ``"POST"`` …
    - ``url``: the URL of the request, with credentials and secret query values hidden
    - ``status_code``: the final status, or ``None`` when no answer came
    - ``elapsed``: seconds from the call to its outcome, every attempt and wait included
    - ``attempts``: requests sent, retries and redirects included (0: none was sent)
    - ``exception``: the exception the call raised, or ``None``

    It is sent with ``Signal.asend_robust()`` from the event loop of the call: an
    ``async def`` receiver runs on that loop, a plain one in a thread (Django's
    rules), and an exception in a receiver is logged (logger
    ``django_api_orm.client``), never raised into the request. With no receiver
    connected it costs nothing.
"""

from __future__ import annotations

import functools
from typing import Any

from django.dispatch import Signal

from django_api_orm.bridge import sync_caller

__all__ = ["post_delete", "post_save", "pre_delete", "pre_save", "request_finished"]

#: Sent once per logical request of a client, after its retries and redirects.
request_finished = Signal()

#: Sent before an instance is saved: ``sender, instance, raw, using, update_fields``.
pre_save = Signal(use_caching=True)
#: Sent after an instance is saved: ``sender, instance, created, raw, using, update_fields``.
post_save = Signal(use_caching=True)
#: Sent before an instance is deleted: ``sender, instance, using, origin``.
pre_delete = Signal(use_caching=True)
#: Sent after an instance is deleted (its pk still set): ``sender, instance, using, origin``.
post_delete = Signal(use_caching=True)


async def send_model_signal(signal: Signal, sender: type, **named: Any) -> None:
    """Send ``signal`` where Django would: in a sync caller's thread, else on this loop.

    Under a sync twin (``book.save()``) the receivers run in the thread that called
    it, with ``Signal.send()``, as ``Model.save()`` sends; awaited by async code
    (``await book.asave()``), with ``Signal.asend()``. A receiver's exception
    propagates. With no receiver for ``sender`` it returns at once.
    """
    # has_listeners() answers from the receivers cache (use_caching) after the first call.
    if not signal.receivers or not signal.has_listeners(sender):
        return
    caller = sync_caller()
    if caller is None:
        await signal.asend(sender, **named)
    else:
        await caller.run(functools.partial(signal.send, sender, **named))
