"""Another process of the site, for the tests of what processes share through Redis.

``python -m tests.shared.worker '<json>'`` (from the repository root) configures
the service ``default`` as told, answers its requests with respx, runs the steps
and prints a JSON report on its last line: the requests the mock received and
each step's outcome. The JSON holds ``redis_url``, ``service`` (the
``API_ORM_SERVICES`` entry), ``answer`` (``{"status": ..., "json": ...}``, the
answer to every GET and PATCH of ``books/1/``) and ``steps``: ``"get"`` (reads
``Book`` 1; the outcome is its title) or ``"save"`` (PATCHes it; ``"saved"``); a
step that raises has the exception's class name as its outcome.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any


def main(spec: dict[str, Any]) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    import httpx
    import respx
    from django.test import override_settings

    from tests.shared.conftest import API, redis_caches
    from tests.testapp.models import Book

    answer = spec["answer"]

    async def run() -> list[str]:
        outcomes = []
        for step in spec["steps"]:
            try:
                if step == "get":
                    outcomes.append((await Book.objects.aget(pk=1)).title)
                else:
                    book = Book(id=1, title="From the worker", price="1.00")
                    await book.asave(update_fields=["title"])
                    outcomes.append("saved")
            except Exception as error:
                outcomes.append(type(error).__name__)
        return outcomes

    caches = redis_caches(spec["redis_url"])
    with (
        override_settings(API_ORM_SERVICES={"default": spec["service"]}, CACHES=caches),
        respx.mock(base_url=API, assert_all_called=False) as mock,
    ):
        response = httpx.Response(answer["status"], json=answer.get("json"))
        route = mock.route(url__regex=r"/api/books/1/$").mock(return_value=response)
        started = time.monotonic()
        outcomes = asyncio.run(run())
        elapsed = time.monotonic() - started
        methods = [call.request.method for call in route.calls]
    return {"requests": methods, "outcomes": outcomes, "elapsed": elapsed}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
