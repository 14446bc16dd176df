"""The metrics endpoint (``metrics.py``), in the process that supervises the workers
(uvicorn's supervisor or its one server, the gunicorn master, Granian's supervisor,
waitress): it makes the multiprocess directory before any worker starts, serves what every
worker wrote, summed, on ``metrics-bind`` from a thread, and removes the directory when
this process exits.

The directory goes in /dev/shm when it can (a tmpfs: fast, and writable under a read-only
root filesystem), private to this server (mode 0700).

prometheus-client's own ``start_http_server`` listens on TCP only; a small threaded
``wsgiref`` server here serves its WSGI app on TCP or on a UNIX socket alike.
"""

from __future__ import annotations

import atexit
import glob
import logging
import os
import platform
import shutil
import socket
import socketserver
import stat
import sys
import tempfile
import threading
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from .metrics import BIND_VARIABLE, DIRECTORY_VARIABLE, SERVER_VARIABLE

PLACES = ("/dev/shm",)

#: prometheus-client's files start with an 8-byte header (the bytes used).
HEADER_BYTES = 8


class QuietHandler(WSGIRequestHandler):
    """No line on stderr per scrape; a UNIX socket's peer (which has no address) is
    ``unix``."""

    def __init__(self, request: Any, client_address: Any, server: Any) -> None:
        super().__init__(request, client_address or ("unix", 0), server)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class ThreadingWSGIServer6(ThreadingWSGIServer):
    address_family = socket.AF_INET6


class UnixWSGIServer(ThreadingWSGIServer):
    address_family = socket.AF_UNIX

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)
        self.server_name = "localhost"
        self.server_port = 0
        self.setup_environ()


def _server_for(bind: str, app: Any) -> WSGIServer:
    server: WSGIServer
    if bind.startswith("unix:"):
        path = bind[len("unix:") :]
        # prodserver checked before start that no live server owns the path: a socket
        # file there is a stale one of an earlier run.
        if os.path.exists(path) and stat.S_ISSOCK(os.stat(path).st_mode):
            os.remove(path)
        server = UnixWSGIServer(path, QuietHandler)  # type: ignore[arg-type]
    else:
        host, _, port = bind.rpartition(":")
        host = host.strip("[]")
        server_class = ThreadingWSGIServer6 if ":" in host else ThreadingWSGIServer
        server = server_class((host, int(port)), QuietHandler)
    server.set_app(app)
    return server


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


def use_multiprocess_values() -> None:
    """prometheus-client picks how values are kept when first imported; an installed app
    may have imported it before the directory existed (django-q2 does). Metrics made from
    now on keep their values in the directory."""
    values: Any = sys.modules.get("prometheus_client.values")
    if values is not None:
        values.ValueClass = values.get_value_class()


def settled_files(directory: str) -> list[str]:
    """The figure files of ``directory`` that can be read now.

    A worker creates its file empty and sizes it a moment later. prometheus-client's reader
    fails on a file shorter than its header (``struct.error``), so a scrape landing in that
    moment would fail whole, as a worker is (re)started. Such a file holds no figures yet,
    so it is left out; so is a file gone between the listing and the ``stat`` (a dead
    worker's live gauge, removed by ``mark_process_dead``).
    """
    settled = []
    for path in sorted(glob.glob(os.path.join(directory, "*.db"))):
        try:
            if os.stat(path).st_size >= HEADER_BYTES:
                settled.append(path)
        except FileNotFoundError:
            continue
    return settled


def settled_files_collector(registry: Any, directory: str) -> Any:
    """prometheus-client's ``MultiProcessCollector`` on ``directory``, reading only
    :func:`settled_files`; its merging is prometheus-client's own."""
    from prometheus_client import multiprocess

    class SettledFilesCollector(multiprocess.MultiProcessCollector):
        def collect(self) -> Any:
            return self.merge(settled_files(directory), accumulate=True)  # type: ignore[no-untyped-call]

    return SettledFilesCollector(registry, path=directory)  # type: ignore[no-untyped-call]


class MetricsEndpoint:
    """The directory and the endpoint of one server's metrics."""

    def __init__(self, bind: str, directory: str, logger: logging.Logger) -> None:
        self.bind = bind
        self.directory = directory
        self.logger = logger
        self.owner = os.getpid()
        self.server: WSGIServer | None = None
        #: The socket file this process bound, the only one it may remove.
        self.socket_file: tuple[int, int] | None = None

    @classmethod
    def from_environment(cls, logger: logging.Logger) -> MetricsEndpoint | None:
        """The endpoint ``prodserver`` asked for in this process's environment, started."""
        bind = os.environ.get(BIND_VARIABLE)
        if not bind:
            return None
        places = [place for place in PLACES if os.path.isdir(place)]
        for place in [*places, None]:
            try:
                directory = tempfile.mkdtemp(prefix="prodserver-metrics-", dir=place)
                break
            except OSError:
                continue
        else:
            raise RuntimeError("no writable /dev/shm or temporary directory for the metrics")
        os.environ[DIRECTORY_VARIABLE] = directory
        use_multiprocess_values()
        endpoint = cls(bind, directory, logger)
        atexit.register(endpoint.close)
        endpoint.start()
        return endpoint

    def start(self) -> None:
        from prometheus_client import CollectorRegistry, Gauge, make_wsgi_app

        build = Gauge(
            "prodserver_build_info",
            "Versions of the running software",
            ["django", "server", "server_version", "prodserver", "python"],
            multiprocess_mode="max",
        )
        server = os.environ.get(SERVER_VARIABLE, "")
        build.labels(
            _version("django"),
            server,
            _version(server) if server else "",
            _version("django-prodserver"),
            platform.python_version(),
        ).set(1)
        registry = CollectorRegistry()
        settled_files_collector(registry, self.directory)
        self.server = _server_for(self.bind, make_wsgi_app(registry))
        if self.bind.startswith("unix:"):
            found = os.stat(self.bind[len("unix:") :])
            self.socket_file = (found.st_dev, found.st_ino)
        thread = threading.Thread(
            target=self.server.serve_forever, name="prodserver-metrics", daemon=True
        )
        thread.start()
        self.logger.info("Metrics on %s (figures in %s)", self.bind, self.directory)

    def close_in_child(self) -> None:
        """In a forked worker: close the inherited listening socket, nothing else."""
        if self.server is not None:
            self.server.socket.close()

    def close(self) -> None:
        if os.getpid() != self.owner:
            return
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        if self.socket_file is not None:
            path = self.bind[len("unix:") :]
            try:
                found = os.stat(path)
                if (found.st_dev, found.st_ino) == self.socket_file:
                    os.remove(path)
            except OSError:
                pass
        shutil.rmtree(self.directory, ignore_errors=True)
