"""The request/response behaviour Django's own ASGI handler tests check, run against Django's
handler and prodserver's alike: both must give the same results. Then what only prodserver's
handler does: which path a request takes, its thread pool, and sync streams cut short."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.asgi import get_asgi_application as djangos_get_asgi_application
from django.core.handlers.asgi import ASGIHandler as DjangosASGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings

from django_prodserver.asgi import get_asgi_application
from django_prodserver.asgi.handler import ProdserverASGIHandler

from . import handler_views
from .support.asgi import Communicator

pytestmark = pytest.mark.urls("tests.handler_views")

HANDLERS: dict[str, Callable[[], Any]] = {
    "django": djangos_get_asgi_application,
    "prodserver": get_asgi_application,
}
TIMEOUT = 10


@pytest.fixture(autouse=True)
def no_database_signal() -> Iterator[None]:
    """As in Django's own handler tests: the test database is not closed between requests."""
    request_started.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)


@pytest.fixture(params=list(HANDLERS))
def application(request: pytest.FixtureRequest) -> Iterator[Any]:
    handler = HANDLERS[request.param]()
    yield handler
    if isinstance(handler, ProdserverASGIHandler):
        handler.pool.shutdown(wait=True)


@pytest.fixture
def ours() -> Iterator[ProdserverASGIHandler]:
    handler = get_asgi_application()
    yield handler
    handler.pool.shutdown(wait=True)


def scope(
    path: str = "/",
    method: str = "GET",
    query_string: bytes | str = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    root_path: str = "",
    kind: str = "http",
) -> dict[str, Any]:
    return {
        "type": kind,
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query_string,
        "root_path": root_path,
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }


@dataclass
class Answer:
    status: int
    headers: set[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: bytes) -> list[bytes]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


async def exchange(
    application: Any, request_scope: dict[str, Any], *messages: dict[str, Any]
) -> Answer:
    communicator = Communicator(application, request_scope)
    for message in messages or ({"type": "http.request"},):
        await communicator.send(message)
    start = await communicator.receive(TIMEOUT)
    assert start["type"] == "http.response.start"
    body = b""
    while True:
        message = await communicator.receive(TIMEOUT)
        assert message["type"] == "http.response.body"
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    await communicator.finished(TIMEOUT)
    return Answer(start["status"], set(start["headers"]), body)


def served(application: Any, request_scope: dict[str, Any], *messages: dict[str, Any]) -> Answer:
    return asyncio.run(exchange(application, request_scope, *messages))


# -- The same results from both handlers ------------------------------------------------


def test_a_sync_view(application: Any) -> None:
    answer = served(application, scope("/"))
    assert (answer.status, answer.body) == (200, b"Hello World!")
    assert answer.headers >= {
        (b"Content-Length", b"12"),
        (b"Content-Type", b"text/html; charset=utf-8"),
    }


@pytest.mark.parametrize("query_string", [b"name=Andrew", "name=Andrew"])
def test_the_query_string(application: Any, query_string: bytes | str) -> None:
    assert served(application, scope("/", query_string=query_string)).body == b"Hello Andrew!"


def test_a_query_string_that_is_not_utf8_is_a_400(application: Any) -> None:
    answer = served(application, scope("/", query_string=b"\xff"))
    assert (answer.status, answer.body) == (400, b"")


def test_repeated_headers_and_content_type(application: Any) -> None:
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", b"0"),
        (b"referer", b"Scotland"),
        (b"referer", b"Wales"),
    ]
    answer = served(application, scope("/meta/", headers=headers))
    assert answer.body == b"From Scotland,Wales"
    assert (b"Content-Type", b"text/plain; charset=utf-8") in answer.headers


def test_cookies_and_custom_headers(application: Any) -> None:
    answer = served(application, scope("/cookies/", headers=[(b"cookie", b"seen=yes")]))
    cookies = sorted(answer.header(b"Set-Cookie"))
    assert cookies == [
        b"flavour=oat; HttpOnly; Path=/; SameSite=Lax",
        b"seen=yes; Path=/",
    ]
    assert answer.header(b"X-Custom") == [b"yes"]


def test_a_body_in_several_messages(application: Any) -> None:
    answer = served(
        application,
        scope("/echo/", method="POST"),
        {"type": "http.request", "body": b"Echo ", "more_body": True},
        {"type": "http.request", "body": b"in parts!"},
    )
    assert (answer.status, answer.body) == (200, b"Echo in parts!")


def test_a_body_left_unread(application: Any) -> None:
    answer = served(application, scope("/untouched/", method="POST"))
    assert (answer.status, answer.body) == (204, b"")


def multipart(size: int) -> tuple[bytes, bytes]:
    boundary = b"prodserver-boundary"
    body = b"".join(
        [
            b"--" + boundary + b"\r\n",
            b'Content-Disposition: form-data; name="note"\r\n\r\nhello\r\n',
            b"--" + boundary + b"\r\n",
            b'Content-Disposition: form-data; name="data"; filename="data.bin"\r\n',
            b"Content-Type: application/octet-stream\r\n\r\n",
            b"x" * size,
            b"\r\n--" + boundary + b"--\r\n",
        ]
    )
    return body, b"multipart/form-data; boundary=" + boundary


@pytest.mark.parametrize(
    ("size", "kind"),
    [(1000, "InMemoryUploadedFile"), (3 * 1024 * 1024, "TemporaryUploadedFile")],
    ids=["in memory", "spooled to disk"],
)
def test_uploads(application: Any, size: int, kind: str) -> None:
    body, content_type = multipart(size)
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    answer = served(
        application,
        scope("/upload/", method="POST", headers=headers),
        {"type": "http.request", "body": body},
    )
    assert answer.status == 200
    assert answer.body == (
        b'{"files": {"data": {"size": %d, "kind": "%s"}}, "fields": {"note": "hello"}}'
        % (size, kind.encode())
    )


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10)
def test_a_body_beyond_data_upload_max_memory_size_is_a_400(application: Any) -> None:
    answer = served(
        application,
        scope("/echo/", method="POST"),
        {"type": "http.request", "body": b"more than ten bytes"},
    )
    assert answer.status == 400


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=2)
def test_more_fields_than_data_upload_max_number_fields_is_a_400(application: Any) -> None:
    body = b"a=1&b=2&c=3"
    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    answer = served(
        application,
        scope("/upload/", method="POST", headers=headers),
        {"type": "http.request", "body": body},
    )
    assert answer.status == 400


@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume")
@pytest.mark.parametrize("path", ["/sync-stream/", "/async-stream/", "/async-stream-from-sync/"])
def test_streaming_responses(application: Any, path: str) -> None:
    answer = served(application, scope(path))
    assert (answer.status, answer.body) == (200, b"chunk 0\nchunk 1\nchunk 2\n")
    assert (b"Content-Type", b"text/plain") in answer.headers


@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume")
def test_a_file_response(application: Any) -> None:
    answer = served(application, scope("/file/"))
    content = handler_views.FILE.read_bytes()
    assert answer.body == content
    assert answer.headers >= {
        (b"Content-Length", str(len(content)).encode()),
        (b"Content-Type", b"text/x-python"),
        (b"Content-Disposition", b'inline; filename="handler_views.py"'),
    }


@pytest.mark.parametrize("path", ["/fails/", "/fails-async/"])
def test_an_exception_is_djangos_500(application: Any, path: str) -> None:
    answer = served(application, scope(path))
    assert answer.status == 500
    assert b"Server Error (500)" in answer.body


def test_a_path_no_view_answers_is_djangos_404(application: Any) -> None:
    assert served(application, scope("/nowhere/")).status == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [("/async/", b"Hello async!"), ("/async-class/", b"async class view")],
)
def test_async_views(application: Any, path: str, body: bytes) -> None:
    assert served(application, scope(path)).body == body


def test_the_root_path(application: Any) -> None:
    answer = served(application, scope("/prefix/paths/", root_path="/prefix"))
    assert answer.body == (
        b'{"path": "/prefix/paths/", "path_info": "/paths/", "script_name": "/prefix", '
        b'"reversed": "/prefix/paths/", "absolute": "http://testserver/prefix/paths/"}'
    )


@override_settings(FORCE_SCRIPT_NAME="/forced")
def test_force_script_name(application: Any) -> None:
    answer = served(application, scope("/forced/paths/"))
    assert b'"path_info": "/paths/"' in answer.body
    assert b'"reversed": "/forced/paths/"' in answer.body


def test_request_signals_are_sent_once_each_on_one_thread(application: Any) -> None:
    threads: dict[str, list[threading.Thread]] = {"started": [], "finished": []}

    def on_started(**kwargs: Any) -> None:
        threads["started"].append(threading.current_thread())

    def on_finished(**kwargs: Any) -> None:
        threads["finished"].append(threading.current_thread())

    request_started.connect(on_started)
    request_finished.connect(on_finished)
    try:
        assert served(application, scope("/")).body == b"Hello World!"
    finally:
        request_started.disconnect(on_started)
        request_finished.disconnect(on_finished)
    assert len(threads["started"]) == len(threads["finished"]) == 1
    assert threads["started"] == threads["finished"]


def test_a_client_gone_before_its_body_gets_nothing(application: Any) -> None:
    async def disconnect_first() -> None:
        communicator = Communicator(application, scope("/"))
        await communicator.send({"type": "http.disconnect"})
        with pytest.raises(asyncio.TimeoutError):
            await communicator.receive(0.5)

    asyncio.run(disconnect_first())


async def disconnect_mid_stream(application: Any, path: str) -> None:
    """Ask for 1000 chunks 10 ms apart, go after the first: the application must return long
    before the 10 s the stream would take."""
    communicator = Communicator(application, scope(path, query_string=b"count=1000&delay=0.01"))
    await communicator.send({"type": "http.request"})
    assert (await communicator.receive(TIMEOUT))["type"] == "http.response.start"
    await communicator.receive(TIMEOUT)
    await communicator.send({"type": "http.disconnect"})
    await communicator.finished(TIMEOUT / 2)


def test_a_client_gone_ends_an_async_stream(application: Any) -> None:
    asyncio.run(disconnect_mid_stream(application, "/async-stream/"))


def test_a_connection_other_than_http_is_refused_as_django_does(application: Any) -> None:
    async def other() -> None:
        communicator = Communicator(application, scope("/", kind="other"))
        await communicator.send({"type": "http.request"})
        with pytest.raises(ValueError, match="Django can only handle ASGI/HTTP connections"):
            await communicator.receive(0.5)  # raised when the application has ended

    asyncio.run(other())


def test_concurrent_sync_requests_run_on_different_threads(application: Any) -> None:
    handler_views.seen_threads.clear()
    handler_views.BARRIERS[2] = threading.Barrier(2)

    async def two_together() -> list[Answer]:
        return await asyncio.gather(
            *(exchange(application, scope("/threads/", query_string=b"parties=2")) for _ in "ab")
        )

    try:
        answers = asyncio.run(two_together())
    finally:
        handler_views.BARRIERS.pop(2)
    assert [answer.body for answer in answers] == [b"together", b"together"]
    assert len(handler_views.seen_threads) == 2


# -- What only prodserver's handler does -------------------------------------------------


def thread_of(handler: Any, path: str) -> str:
    return served(handler, scope(path)).body.decode()


def test_a_sync_view_runs_in_the_pool_and_an_async_one_on_the_loop(
    ours: ProdserverASGIHandler,
) -> None:
    assert thread_of(ours, "/where/").startswith("prodserver-sync")
    assert served(ours, scope("/class/")).body.startswith(b"class view in prodserver-sync")
    assert ours.view_kinds.takes_sync_chain(scope("/where/"))
    assert not ours.view_kinds.takes_sync_chain(scope("/async/"))
    assert not ours.view_kinds.takes_sync_chain(scope("/async-class/"))
    assert not ours.view_kinds.takes_sync_chain(scope("/nowhere/"))


def test_the_decision_is_logged_at_debug(
    ours: ProdserverASGIHandler, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("DEBUG", logger="django_prodserver.asgi"):
        served(ours, scope("/where/"))
        served(ours, scope("/async/"))
        served(ours, scope("/nowhere/"))
    decisions = [r.getMessage() for r in caplog.records if r.name == "django_prodserver.asgi"]
    assert decisions == [
        "GET /where/: sync view tests.handler_views.where: the sync chain, one thread hand-off",
        "GET /async/: async view tests.handler_views.async_hello: Django's own path, on the "
        "event loop",
        "GET /nowhere/: resolves to no view in ROOT_URLCONF: Django's own path",
    ]


@override_settings(
    MIDDLEWARE=["tests.middleware.AsyncOnlyMiddleware"],
)
def test_an_async_only_middleware_sends_every_request_down_djangos_path() -> None:
    handler = get_asgi_application()
    try:
        assert handler.sync_chain is None
        assert not thread_of(handler, "/where/").startswith("prodserver-sync")
    finally:
        handler.pool.shutdown()


@override_settings(
    MIDDLEWARE=["tests.middleware.SwitchingUrlconfMiddleware"],
)
def test_a_middleware_that_sets_request_urlconf_turns_the_sync_chain_off() -> None:
    handler = get_asgi_application()
    try:
        assert thread_of(handler, "/where/").startswith("prodserver-sync")
        assert handler.view_kinds.urlconf_switched
        assert not thread_of(handler, "/where/").startswith("prodserver-sync")
    finally:
        handler.pool.shutdown()


def test_a_request_beyond_the_pool_waits_for_a_thread() -> None:
    handler = get_asgi_application(threads=1)
    handler_views.seen_threads.clear()

    async def three() -> list[Answer]:
        return await asyncio.gather(
            *(exchange(handler, scope("/threads/", query_string=b"parties=9")) for _ in "abc")
        )

    try:
        answers = asyncio.run(three())
    finally:
        handler.pool.shutdown()
    assert [answer.status for answer in answers] == [200, 200, 200]
    assert len(handler_views.seen_threads) == 1


def test_a_client_gone_ends_a_sync_stream_in_its_thread(ours: ProdserverASGIHandler) -> None:
    handler_views.stream_counts.update(chunks=0, closed=0)
    asyncio.run(disconnect_mid_stream(ours, "/sync-stream/"))
    assert handler_views.stream_counts["closed"] == 1
    assert handler_views.stream_counts["chunks"] < 1000


def test_the_pool_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODSERVER_SYNC_THREADS", "3")
    handler = get_asgi_application()
    handler.pool.shutdown()
    assert handler.threads == 3
    monkeypatch.setenv("PRODSERVER_SYNC_THREADS", "many")
    with pytest.raises(Exception, match=r"\$PRODSERVER_SYNC_THREADS is 'many'"):
        get_asgi_application()
    with pytest.raises(Exception, match="1 thread or more, not 0"):
        get_asgi_application(threads=0)


# -- What a server imports when ARGS turn the handler on -----------------------------------

PROJECT_MODULES = {
    "calls_get_asgi_application": (
        "from django.core.asgi import get_asgi_application\n"
        "django_application = get_asgi_application()\n"
        "async def application(scope, receive, send):\n"
        "    await django_application(scope, receive, send)\n"
    ),
    "builds_the_handler_itself": (
        "from django.core.handlers.asgi import ASGIHandler\napplication = ASGIHandler()\n"
    ),
    "serves_something_else": "async def application(scope, receive, send):\n    pass\n",
}


@pytest.fixture
def project_modules(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], Any]]:
    import django.core.asgi

    from django_prodserver.asgi import serving

    for name, text in PROJECT_MODULES.items():
        (tmp_path / f"{name}.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    # serving.py points Django's factory at our handler for good: undone after the test.
    monkeypatch.setattr(django.core.asgi, "ASGIHandler", DjangosASGIHandler)

    def load(import_string: str) -> Any:
        monkeypatch.setenv("PRODSERVER_ASGI_APPLICATION", import_string)
        serving.project_application.cache_clear()
        return serving.application

    yield load
    serving.project_application.cache_clear()


def test_the_projects_own_wrapper_keeps_our_handler_inside(
    project_modules: Callable[[str], Any],
) -> None:
    import sys

    application = project_modules("calls_get_asgi_application:application")
    module = sys.modules["calls_get_asgi_application"]
    assert isinstance(module.django_application, ProdserverASGIHandler)
    assert application is module.application
    reloaded = project_modules("calls_get_asgi_application:application")
    assert isinstance(
        sys.modules["calls_get_asgi_application"].django_application,
        type(module.django_application),
    )
    assert reloaded is sys.modules["calls_get_asgi_application"].application


def test_djangos_handler_built_directly_is_replaced(
    project_modules: Callable[[str], Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="django_prodserver.asgi"):
        application = project_modules("builds_the_handler_itself:application")
    assert isinstance(application, ProdserverASGIHandler)
    assert "is Django's ASGIHandler: serving prodserver's in its place" in caplog.text


def test_an_application_without_djangos_handler_is_served_unchanged_with_a_warning(
    project_modules: Callable[[str], Any], caplog: pytest.LogCaptureFixture
) -> None:
    import sys

    application = project_modules("serves_something_else:application")
    assert application is sys.modules["serves_something_else"].application
    assert "did not call django.core.asgi.get_asgi_application()" in caplog.text


def test_no_application_named_is_a_clear_error(project_modules: Callable[[str], Any]) -> None:
    with pytest.raises(RuntimeError, match=r"\$PRODSERVER_ASGI_APPLICATION"):
        project_modules("")
    from django_prodserver.asgi import serving

    with pytest.raises(AttributeError, match="no attribute 'other'"):
        serving.other  # noqa: B018
