"""One process of a site, for the multi-process tests of the shared state (``test_processes``).

Run as ``python -m tests.shared.worker SCENARIO`` from the repository root, with
``API_ORM_WORKER`` in the environment: a JSON object with ``service`` (the whole
``API_ORM_SERVICES["provider"]`` entry, pointed at the test's proxy), ``redis``
(the URL ``CACHES["default"]`` uses) and ``args`` (the scenario's parameters).

The worker configures Django itself, imports the example provider's RemoteModels,
prints ``READY`` and then runs its steps. Before each step it waits for a line on
stdin (the test's start barrier: every process is ready, imported and configured
before any of them sends a request); after each step it prints one JSON line.
It exits 0 when every step ran, whatever the requests raised (errors are results).

Scenarios (``args``):

``get``
    ``model`` ("Author" or "Book"), ``pk``, ``reads`` (steps, default 1),
    ``field``: each step is one ``aget(pk=pk)``; prints the field's value and the
    wall-clock time the call started and ended.
``update``
    ``pk``, ``field``, ``value``, ``blind``: one step, ``aget(pk=pk)`` then ``asave()``
    of the Author with ``field`` set to ``value``; with ``blind``, no read: a PATCH of
    ``field`` only (``asave(update_fields=[field])`` of ``Author(pk=pk)``).
``many``
    ``model``, ``pks``: one step, a ``nocache().aget(pk=...)`` for each pk, one
    after the other; prints the times.
``calls``
    ``model``, ``pk``, ``calls``: one step, ``calls`` reads of ``pk`` one after the
    other, each result the name of the exception it raised (or ``"ok"``); prints
    the results and when the step started and ended.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

import django
from django.conf import settings

#: Every worker's SECRET_KEY: the cache keys hash the credentials with it, so processes
#: of one site must share it to share entries.
SECRET_KEY = "django_api_orm-shared-processes-not-secret"


def configure(service: dict[str, Any], redis_url: str) -> None:
    """Configure Django as a consumer site: the provider service, its state in Redis."""
    settings.configure(
        SECRET_KEY=SECRET_KEY,
        DEBUG=False,
        USE_TZ=True,
        TIME_ZONE="UTC",
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django_api_orm",
        ],
        DATABASES={},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        API_ORM_SERVICES={"provider": service},
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
            }
        },
        LOGGING_CONFIG=None,
    )
    django.setup()


def emit(value: Any) -> None:
    """Print one line for the test and flush it."""
    sys.stdout.write((value if isinstance(value, str) else json.dumps(value)) + "\n")
    sys.stdout.flush()


def barrier() -> None:
    """Wait for the test's "go" (a line on stdin); exit if the test went away."""
    if not sys.stdin.readline():
        sys.exit(3)


def model(name: str) -> Any:
    """Return the example provider's RemoteModel called ``name``."""
    from tests.integration import remote_models

    return getattr(remote_models, name)


async def read(name: str, pk: int, field: str) -> dict[str, Any]:
    """Read one object through the ORM (its CACHE, when the service has one)."""
    started = time.time()
    obj = await model(name).objects.aget(pk=pk)
    return {"value": str(getattr(obj, field)), "started": started, "ended": time.time()}


async def update(pk: int, field: str, value: str, *, blind: bool = False) -> dict[str, Any]:
    """Change an Author through the ORM: ``aget()`` then ``asave()``; ``blind`` reads
    nothing and saves ``update_fields=[field]`` of ``Author(pk=pk)`` (one PATCH)."""
    if blind:
        author = model("Author")(pk=pk, **{field: value})
        await author.asave(update_fields=[field])
        return {"old": None, "value": str(getattr(author, field))}
    author = await model("Author").objects.aget(pk=pk)
    old = getattr(author, field)
    setattr(author, field, value)
    await author.asave()
    return {"old": str(old), "value": str(getattr(author, field))}


async def many(name: str, pks: list[int]) -> dict[str, Any]:
    """Read ``pks`` one after the other, never from the cache; return when each started."""
    manager = model(name).objects
    started = []
    for pk in pks:
        started.append(time.time())
        await manager.nocache().aget(pk=pk)
    return {"started": started, "ended": time.time()}


async def calls(name: str, pk: int, count: int) -> dict[str, Any]:
    """Read ``pk`` ``count`` times; each result is the exception's class name, or "ok"."""
    results = []
    started = time.time()
    for _ in range(count):
        try:
            await model(name).objects.aget(pk=pk)
        except Exception as error:  # the result is which one it was
            results.append(type(error).__name__)
        else:
            results.append("ok")
    return {"results": results, "started": started, "ended": time.time()}


async def main(scenario: str, args: dict[str, Any]) -> None:
    """Run ``scenario``'s steps, each after the barrier; print one JSON line per step."""
    from django_api_orm.services import services

    try:
        if scenario == "get":
            for _ in range(int(args.get("reads", 1))):
                barrier()
                emit(await read(args["model"], args["pk"], args["field"]))
        elif scenario == "update":
            barrier()
            emit(
                await update(
                    args["pk"], args["field"], args["value"], blind=bool(args.get("blind"))
                )
            )
        elif scenario == "many":
            barrier()
            emit(await many(args["model"], args["pks"]))
        elif scenario == "calls":
            barrier()
            emit(await calls(args["model"], args["pk"], args["calls"]))
        else:
            raise SystemExit(f"unknown scenario {scenario!r}")
    finally:
        await services.aclose_all()


def run() -> None:
    """Configure Django from ``API_ORM_WORKER``, say READY, run the scenario."""
    config = json.loads(os.environ["API_ORM_WORKER"])
    configure(config["service"], config["redis"])
    model("Author")  # import the models before the barrier
    emit("READY")
    asyncio.run(main(sys.argv[1], config.get("args", {})))


if __name__ == "__main__":
    run()
