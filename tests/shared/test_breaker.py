"""CIRCUIT_BREAKER: after FAILURES failed calls in a row, calls fail without sending.

FAILURES is 2 and RESET 0.3 s throughout; MAX_RETRIES is 0 unless a test says,
so a call is one request.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
import respx

from django_api_orm import (
    BadRequestError,
    ConnectionError,
    NotFoundError,
    ServerError,
    ServiceUnavailableError,
    TimeoutError,
)
from django_api_orm.services import services
from tests.models.conftest import book
from tests.shared.conftest import configured, service
from tests.testapp.models import Book

RESET = 0.3
PAST_RESET = 0.4


def guarded(failures: int = 2, reset: float = RESET, **extra: Any) -> dict[str, Any]:
    return service(CIRCUIT_BREAKER={"FAILURES": failures, "RESET": reset}, **extra)


async def fail_twice() -> None:
    for _ in range(2):
        with pytest.raises(ServerError) as info:
            await Book.objects.aget(pk=1)
        assert not isinstance(info.value, ServiceUnavailableError)
        assert info.value.status_code == 503


async def test_opens_after_failures_and_sends_nothing(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Raises ServiceUnavailableError without a request after two 503s in a row."""
    route = api.get("books/1/").respond(503)
    other = api.get("books/2/").respond(json=book(2))
    with configured(caches_setting, default=guarded(reset=5)):
        await fail_twice()
        with pytest.raises(ServiceUnavailableError) as info:
            await Book.objects.aget(pk=1)
        with pytest.raises(ServiceUnavailableError):
            await Book.objects.aget(pk=2)  # every call of the service
    assert route.call_count == 2
    assert other.call_count == 0
    error = info.value
    assert isinstance(error, ServerError)
    assert error.status_code is None
    assert error.retry_after is not None
    assert 4.0 < error.retry_after <= 5.0
    message = str(error)
    assert "not sent" in message
    assert "FAILURES=2" in message


async def test_one_failure_does_not_open(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Sends the call after a single failure (below FAILURES)."""
    route = api.get("books/1/").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json=book(1))]
    )
    with configured(caches_setting, default=guarded()):
        with pytest.raises(ServerError):
            await Book.objects.aget(pk=1)
        await Book.objects.aget(pk=1)
    assert route.call_count == 2


async def test_after_reset_one_trial_success_closes(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Sends one trial after RESET; its success closes the breaker for every call after."""
    route = api.get("books/1/").respond(503)
    with configured(caches_setting, default=guarded()):
        await fail_twice()
        with pytest.raises(ServiceUnavailableError):
            await Book.objects.aget(pk=1)
        await asyncio.sleep(PAST_RESET)
        route.respond(json=book(1))
        await Book.objects.aget(pk=1)  # the trial
        assert route.call_count == 3
        for _ in range(3):
            await Book.objects.aget(pk=1)
        assert route.call_count == 6
        # Closed for good: it takes FAILURES new failures to open it again.
        route.respond(503)
        with pytest.raises(ServerError) as info:
            await Book.objects.aget(pk=1)
        assert not isinstance(info.value, ServiceUnavailableError)
        assert route.call_count == 7


async def test_a_failed_trial_reopens(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Opens again for RESET after the trial fails: the next call is not sent."""
    route = api.get("books/1/").respond(503)
    with configured(caches_setting, default=guarded()):
        await fail_twice()
        await asyncio.sleep(PAST_RESET)
        with pytest.raises(ServerError) as trial:
            await Book.objects.aget(pk=1)
        assert not isinstance(trial.value, ServiceUnavailableError)
        assert route.call_count == 3
        with pytest.raises(ServiceUnavailableError) as info:
            await Book.objects.aget(pk=1)
        assert route.call_count == 3
        assert info.value.retry_after is not None
        assert 0.0 < info.value.retry_after <= RESET + 0.01
        # And a trial again after another RESET.
        await asyncio.sleep(PAST_RESET)
        route.respond(json=book(1))
        await Book.objects.aget(pk=1)
    assert route.call_count == 4


async def test_exactly_one_trial_goes_out(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Sends one trial for five concurrent calls; the others are refused meanwhile."""
    failing = api.get("books/1/").respond(503)

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.1)
        return httpx.Response(200, json=book(int(request.url.path.split("/")[-2])))

    trials = api.get(url__regex=r"/api/books/[2-6]/$").mock(side_effect=slow)
    with configured(caches_setting, default=guarded()):
        await fail_twice()
        await asyncio.sleep(PAST_RESET)
        results = await asyncio.gather(
            *(Book.objects.aget(pk=pk) for pk in range(2, 7)), return_exceptions=True
        )
    assert failing.call_count == 2
    assert trials.call_count == 1
    sent = [r for r in results if isinstance(r, Book)]
    refused = [r for r in results if isinstance(r, ServiceUnavailableError)]
    assert (len(sent), len(refused)) == (1, 4)
    assert all(r.retry_after is None for r in refused)  # the trial is under way
    assert all("trial request" in str(r) for r in refused)


@pytest.mark.parametrize("status", [400, 404])
async def test_client_errors_do_not_count(
    caches_setting: dict[str, Any], api: respx.MockRouter, status: int
) -> None:
    """Keeps sending through 4xx answers: the provider answered."""
    route = api.get("books/1/").respond(status, json={"detail": "no"})
    with configured(caches_setting, default=guarded()):
        for _ in range(5):
            with pytest.raises((NotFoundError, BadRequestError, Book.DoesNotExist)):
                await Book.objects.aget(pk=1)
    assert route.call_count == 5


async def test_a_client_error_ends_the_run_of_failures(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Counts consecutive failures only: 503, 404, 503 leaves the breaker closed."""
    route = api.get("books/1/").mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(404),
            httpx.Response(503),
            httpx.Response(503),
            httpx.Response(200, json=book(1)),
        ]
    )
    with configured(caches_setting, default=guarded()):
        with pytest.raises(ServerError):
            await Book.objects.aget(pk=1)
        with pytest.raises(Book.DoesNotExist):
            await Book.objects.aget(pk=1)
        with pytest.raises(ServerError) as third:
            await Book.objects.aget(pk=1)
        assert not isinstance(third.value, ServiceUnavailableError)
        with pytest.raises(ServerError) as fourth:
            await Book.objects.aget(pk=1)
        assert not isinstance(fourth.value, ServiceUnavailableError)
        assert route.call_count == 4
        with pytest.raises(ServiceUnavailableError):
            await Book.objects.aget(pk=1)
    assert route.call_count == 4


async def test_a_success_ends_the_run_of_failures(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Counts consecutive failures only: 503, 200, 503 leaves the breaker closed."""
    route = api.get("books/1/").mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(200, json=book(1)),
            httpx.Response(503),
            httpx.Response(200, json=book(1)),
        ]
    )
    with configured(caches_setting, default=guarded()):
        with pytest.raises(ServerError):
            await Book.objects.aget(pk=1)
        await Book.objects.aget(pk=1)
        with pytest.raises(ServerError):
            await Book.objects.aget(pk=1)
        await Book.objects.aget(pk=1)
    assert route.call_count == 4


async def test_connection_errors_count(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Opens after two connection errors as after two 5xx."""
    route = api.get("books/1/").mock(side_effect=httpx.ConnectError("refused"))
    with configured(caches_setting, default=guarded()):
        for _ in range(2):
            with pytest.raises(ConnectionError):
                await Book.objects.aget(pk=1)
        with pytest.raises(ServiceUnavailableError):
            await Book.objects.aget(pk=1)
    assert route.call_count == 2


async def test_failures_are_logical_calls_after_retries(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Counts a call once, however many attempts it took: 2 calls of 2 attempts open it."""
    route = api.get("books/1/").respond(503)
    with configured(caches_setting, default=guarded(MAX_RETRIES=1)):
        with pytest.raises(ServerError):
            await Book.objects.aget(pk=1)
        assert route.call_count == 2
        with pytest.raises(ServerError) as second:
            await Book.objects.aget(pk=1)  # not refused: one failure so far
        assert not isinstance(second.value, ServiceUnavailableError)
        assert route.call_count == 4
        with pytest.raises(ServiceUnavailableError):
            await Book.objects.aget(pk=1)
    assert route.call_count == 4


async def test_a_retried_success_is_a_success(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Does not count a call whose retry succeeded."""
    route = api.get("books/1/").mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(200, json=book(1)),
            httpx.Response(503),
            httpx.Response(200, json=book(1)),
            httpx.Response(200, json=book(1)),
        ]
    )
    with configured(caches_setting, default=guarded(MAX_RETRIES=1)):
        await Book.objects.aget(pk=1)
        await Book.objects.aget(pk=1)
        await Book.objects.aget(pk=1)
    assert route.call_count == 5


async def test_writes_count_and_are_refused(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Counts failed writes, and refuses writes while open (nothing sent)."""
    patch = api.patch("books/1/").respond(502)
    post = api.post("books/").respond(201, json=book(9))
    with configured(caches_setting, default=guarded()):
        obj = Book(id=1, title="T", price="1.00")
        for _ in range(2):
            with pytest.raises(ServerError):
                await obj.asave(update_fields=["title"])
        with pytest.raises(ServiceUnavailableError):
            await Book.objects.acreate(title="New", price="1.00")
    assert patch.call_count == 2
    assert post.call_count == 0


def test_an_open_breaker_is_seen_by_another_loop(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Refuses the calls of another event loop (another process's view) once open."""
    route = api.get("books/1/").respond(503)

    async def refused() -> ServiceUnavailableError:
        with pytest.raises(ServiceUnavailableError) as info:
            await Book.objects.aget(pk=1)
        return info.value

    errors: list[BaseException] = []
    found: list[ServiceUnavailableError] = []

    def other_loop() -> None:
        try:
            found.append(asyncio.run(refused()))
        except BaseException as error:  # reported below
            errors.append(error)

    with configured(caches_setting, default=guarded(reset=5)):
        asyncio.run(fail_twice())
        thread = threading.Thread(target=other_loop)
        thread.start()
        thread.join(10)
    assert errors == []
    assert route.call_count == 2
    assert found and found[0].retry_after is not None and found[0].retry_after > 4


async def test_the_breaker_belongs_to_its_service(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Keeps sending another service's calls while one service's breaker is open."""
    route = api.get("books/1/").respond(503)
    with configured(caches_setting, default=guarded(), other=guarded()):
        await fail_twice()
        with pytest.raises(ServerError) as info:
            await Book.objects.using("other").aget(pk=1)
        assert not isinstance(info.value, ServiceUnavailableError)
    assert route.call_count == 3


async def test_the_client_has_the_breaker_and_the_limiter(caches_setting: dict[str, Any]) -> None:
    """Gives the service's client a breaker and a limiter only when the settings ask."""
    with configured(caches_setting, default=guarded(), plain=service()):
        client = services["default"]
        plain = services["plain"]
        assert client._breaker is not None
        assert client._breaker.threshold == 2
        assert client._breaker.reset == RESET
        assert client._rate_limiter is None
        assert (plain._breaker, plain._rate_limiter) == (None, None)


async def test_a_cancelled_trial_lets_the_next_call_be_the_trial(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Sends the next call as the trial when the trial was cancelled before its answer.

    The cancelled trial decided nothing: no call should be refused for RESET more
    seconds as if "another process is sending the trial request now".
    """
    api.get("books/1/").respond(503)

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json=book(2))

    api.get("books/2/").mock(side_effect=hang)
    after = api.get("books/3/").respond(json=book(3))
    with configured(caches_setting, default=guarded(reset=1.0)):
        await fail_twice()
        await asyncio.sleep(1.1)
        trial = asyncio.create_task(Book.objects.aget(pk=2))
        await asyncio.sleep(0.1)
        trial.cancel()
        with pytest.raises(asyncio.CancelledError):
            await trial
        assert (await Book.objects.aget(pk=3)).pk == 3  # the new trial, which closes it
        await Book.objects.aget(pk=3)
    assert after.call_count == 2


async def test_a_trial_refused_by_the_rate_limit_is_given_back(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Gives the trial back when the budget refused to send it: the next call claims it."""
    route = api.get("books/1/").mock(
        side_effect=[httpx.Response(503), httpx.Response(503, headers={"Retry-After": "2"})]
    )
    settings = guarded(RATE_LIMIT="100/s", DEADLINE=0.5)
    with configured(caches_setting, default=settings):
        await fail_twice()
        await asyncio.sleep(PAST_RESET)
        for _ in range(2):
            with pytest.raises(TimeoutError) as info:
                await Book.objects.aget(pk=1)
            # Refused by the budget (the Retry-After), each time, not by a phantom trial.
            assert not isinstance(info.value, ServiceUnavailableError)
            assert "RATE_LIMIT" in str(info.value)
    assert route.call_count == 2
