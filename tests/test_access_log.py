"""Access lines for ASGI requests: what the middleware notes of each exchange, and how the
lines reach the log (``LineBatch``): together after each turn of the event loop, at once
off a loop, through ``logging`` when the logger is not set up plainly, and at exit."""

from __future__ import annotations

import asyncio
import atexit
import io
import logging
from collections.abc import MutableMapping
from typing import Any

import pytest

from django_prodserver.runtime.access_format import AccessFormat, Exchange
from django_prodserver.runtime.access_log import AccessLogMiddleware, LineBatch

FORMAT = "%(m)s %(U)s %(s)s %(b)s"


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


@pytest.fixture
def logger() -> logging.Logger:
    """A logger as the servers set up an access log: one stream handler, the bare line.
    Made apart from logging's tree, where pytest adds its capturing handlers."""
    found = logging.Logger("tests.access_lines", logging.INFO)
    handler = logging.StreamHandler(CountingStream())
    handler.setFormatter(logging.Formatter("%(message)s"))
    found.addHandler(handler)
    found.propagate = False
    return found


def stream_of(logger: logging.Logger) -> CountingStream:
    stream: CountingStream = logger.handlers[0].stream  # type: ignore[attr-defined]
    return stream


def exchange(path: str, status: int = 200) -> Exchange:
    return Exchange({"method": "GET", "path": path}, status=status, sent=5)


def errors_into(found: list[str]) -> Any:
    return lambda: found.append("error")


def test_the_lines_of_one_loop_turn_are_written_together(logger: logging.Logger) -> None:
    batch = LineBatch(logger, AccessFormat(FORMAT), errors_into([]))
    stream = stream_of(logger)

    async def serve() -> tuple[str, str]:
        for number in range(5):
            batch.add(exchange(f"/{number}"))
        during_the_turn = stream.getvalue()
        await asyncio.sleep(0)  # the loop turns
        return during_the_turn, stream.getvalue()

    during, after = asyncio.run(serve())
    assert during == ""
    assert after == "".join(f"GET /{number} 200 5\n" for number in range(5))
    assert stream.writes == 1


def test_off_an_event_loop_each_line_is_written_at_once(logger: logging.Logger) -> None:
    batch = LineBatch(logger, AccessFormat(FORMAT), errors_into([]))
    batch.add(exchange("/a"))
    assert stream_of(logger).getvalue() == "GET /a 200 5\n"
    batch.add(exchange("/b", 404))
    assert stream_of(logger).getvalue() == "GET /a 200 5\nGET /b 404 5\n"


def test_a_logger_not_set_up_plainly_gets_a_record_per_line(logger: logging.Logger) -> None:
    logger.handlers[0].setFormatter(logging.Formatter("access: %(message)s"))
    batch = LineBatch(logger, AccessFormat(FORMAT), errors_into([]))

    async def serve() -> None:
        batch.add(exchange("/a"))

    asyncio.run(serve())
    assert stream_of(logger).getvalue() == "access: GET /a 200 5\n"
    assert batch.handlers is None  # no batch was gathered


def test_no_lines_when_the_logger_is_off(logger: logging.Logger) -> None:
    logger.setLevel(logging.WARNING)
    batch = LineBatch(logger, AccessFormat(FORMAT), errors_into([]))
    asyncio.run(asyncio.sleep(0, batch.add(exchange("/a"))))  # type: ignore[func-returns-value]
    assert stream_of(logger).getvalue() == ""


def test_a_line_too_long_is_cut(logger: logging.Logger) -> None:
    batch = LineBatch(logger, AccessFormat("%(U)s"), errors_into([]))

    async def serve() -> None:
        batch.add(Exchange({"method": "GET", "path": "/" + "x" * 20_000}))
        await asyncio.sleep(0)

    asyncio.run(serve())
    line = stream_of(logger).getvalue()
    assert len(line) < 16 * 1024 + 100
    assert line.endswith("characters cut]\n")


def test_a_failing_stream_is_reported_not_raised(logger: logging.Logger) -> None:
    class BrokenStream(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError("disk full")

    logger.handlers[0].stream = BrokenStream()  # type: ignore[attr-defined]
    reported: list[str] = []
    batch = LineBatch(logger, AccessFormat(FORMAT), errors_into(reported))

    async def serve() -> None:
        batch.add(exchange("/a"))
        await asyncio.sleep(0)

    asyncio.run(serve())
    assert reported == ["error"]
    batch.add(Exchange({}))  # a line that cannot be made: reported too
    assert reported == ["error", "error"]


def test_lines_still_waiting_at_exit_are_written(
    logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_exit: list[Any] = []
    monkeypatch.setattr(atexit, "register", at_exit.append)
    batch = LineBatch(logger, AccessFormat(FORMAT), errors_into([]))
    loop = asyncio.new_event_loop()

    def last_request() -> None:
        batch.add(exchange("/last"))
        loop.stop()  # the loop ends with this turn: the batch is still waiting

    loop.call_soon(last_request)
    loop.run_forever()
    loop.close()
    assert stream_of(logger).getvalue() == ""
    assert at_exit == [batch.flush]
    at_exit[0]()
    assert stream_of(logger).getvalue() == "GET /last 200 5\n"


class Noted(AccessLogMiddleware):
    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.exchanges: list[Exchange] = []

    def record(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)


async def receive() -> MutableMapping[str, Any]:
    return {"type": "http.request"}


async def send(message: MutableMapping[str, Any]) -> None:
    pass


def test_the_middleware_notes_status_headers_bytes_and_duration() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 201, "headers": [(b"a", b"b")]})
        await send({"type": "http.response.body", "body": b"abc", "more_body": True})
        await send({"type": "http.response.body", "body": b"de"})

    noted = Noted(app)
    asyncio.run(noted({"type": "http", "method": "GET", "path": "/"}, receive, send))
    [found] = noted.exchanges
    assert (found.status, found.sent, list(found.response_headers)) == (201, 5, [(b"a", b"b")])
    assert found.duration >= 0


def test_an_application_error_before_a_response_is_a_500_line() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    noted = Noted(app)
    with pytest.raises(RuntimeError):
        asyncio.run(noted({"type": "http", "method": "GET", "path": "/"}, receive, send))
    assert noted.exchanges[0].status == 500


def test_other_scopes_pass_through_unrecorded() -> None:
    called: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        called.append(scope["type"])

    noted = Noted(app)
    asyncio.run(noted({"type": "lifespan"}, receive, send))
    assert called == ["lifespan"]
    assert noted.exchanges == []


def test_no_middleware_where_gunicorns_own_logger_writes_no_access_lines() -> None:
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    from django_prodserver.runtime.access_log import gunicorn_writes_access_lines

    config = Config()
    assert not gunicorn_writes_access_lines(Logger(config))
    config.set("accesslog", "-")
    assert gunicorn_writes_access_lines(Logger(config))

    class OwnLogger(Logger):  # type: ignore[misc]
        """A project's logger class decides in its own ``access()``."""

    assert gunicorn_writes_access_lines(OwnLogger(Config()))
