"""The one bounded load generator: GET requests (or POSTs of a body) from a few threads
until stopped, or until the count or time limit, whichever comes first."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from .servers import wait_for

#: Upper bounds for every load loop, whatever the test asks.
REQUESTS_LIMIT = 50_000
SECONDS_LIMIT = 120.0


class BoundedLoad:
    """``threads`` clients GET ``url`` over and over. Where the answer is JSON with a
    ``pid`` (the example project's ``/request-info/``), it remembers which worker answered
    each client last and every worker seen."""

    def __init__(
        self,
        url: str,
        threads: int = 4,
        keep_alive: bool = True,
        requests_limit: int = REQUESTS_LIMIT,
        seconds_limit: float = SECONDS_LIMIT,
        body: bytes | None = None,
    ) -> None:
        self.url = url
        #: POSTed when given: a request nginx never retries on another instance once sent.
        self.body = body
        self.keep_alive = keep_alive
        self.requests_limit = min(requests_limit, REQUESTS_LIMIT)
        self.deadline = time.monotonic() + min(seconds_limit, SECONDS_LIMIT)
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.succeeded = 0
        self.failures: list[str] = []
        self.last_worker: dict[int, int] = {}
        self.seen_workers: set[int] = set()
        self.threads = [
            threading.Thread(target=self.run, args=(index,)) for index in range(threads)
        ]

    def __enter__(self) -> BoundedLoad:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)

    def run(self, index: int) -> None:
        headers = {} if self.keep_alive else {"Connection": "close"}
        with httpx.Client(timeout=30, headers=headers) as client:
            while not self.stopping.is_set() and time.monotonic() < self.deadline:
                with self.lock:
                    if self.succeeded + len(self.failures) >= self.requests_limit:
                        return
                try:
                    if self.body is None:
                        response = client.get(self.url)
                    else:
                        response = client.post(self.url, content=self.body)
                except httpx.HTTPError as error:
                    self._failed(f"{type(error).__name__}: {error}")
                    continue
                if response.status_code != 200:
                    self._failed(f"status {response.status_code}")
                    continue
                self._succeeded(index, _worker_pid(response))

    def _failed(self, problem: str) -> None:
        with self.lock:
            self.failures.append(problem)

    def _succeeded(self, index: int, pid: int | None) -> None:
        with self.lock:
            self.succeeded += 1
            if pid is not None:
                self.last_worker[index] = pid
                self.seen_workers.add(pid)

    def wait_for_more(self, count: int) -> None:
        target = self.succeeded + count
        wait_for(lambda: self.succeeded >= target, 30, f"{count} more requests")


def _worker_pid(response: httpx.Response) -> int | None:
    if not response.headers.get("content-type", "").startswith("application/json"):
        return None
    body: Any = response.json()
    pid = body.get("pid") if isinstance(body, dict) else None
    return pid if isinstance(pid, int) else None
