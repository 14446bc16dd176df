"""The part Kubernetes' endpoints controller (or an ingress controller) plays in front of
several instances: it polls each instance's readiness path and keeps nginx's upstream list
to the ready ones, reloading nginx when the list changes. Open-source nginx has no active
health checks of its own; this is what makes it use the readiness path."""

from __future__ import annotations

import re
import signal
import threading
import time

import httpx

from .nginx import NginxProcess

#: How often each instance's readiness is asked, as a probe's ``periodSeconds``.
POLL_SECONDS = 1.0
#: Every loop here is bounded in time, whatever the test does.
LONGEST_RUN_SECONDS = 180.0


class ReadinessController:
    """Polls ``http://ADDRESS/PATH`` for each upstream ``server ADDRESS ...;`` line of the
    ``upstream`` block in nginx's configuration, and keeps only the ready ones there."""

    def __init__(self, nginx: NginxProcess, readiness_path: str) -> None:
        self.nginx = nginx
        self.readiness_path = readiness_path
        self.template = nginx.config_path.read_text()
        self.addresses = re.findall(r"^\s*server (\S+:\d+)[^;]*;", self.template, re.M)
        assert len(self.addresses) >= 2, self.template
        self.ready = set(self.addresses)
        self.reloads = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def __enter__(self) -> ReadinessController:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self.thread.join(10)

    def is_ready(self, address: str) -> bool:
        try:
            answer = httpx.get(f"http://{address}{self.readiness_path}", timeout=1)
        except httpx.HTTPError:
            return False
        return answer.status_code == 200

    def run(self) -> None:
        deadline = time.monotonic() + LONGEST_RUN_SECONDS
        while not self.stopping.wait(POLL_SECONDS) and time.monotonic() < deadline:
            ready = {address for address in self.addresses if self.is_ready(address)}
            if ready and ready != self.ready:
                self.apply(ready)

    def apply(self, ready: set[str]) -> None:
        """The configuration with only ``ready`` upstream servers, then a graceful reload
        (new nginx workers use it; old ones finish their requests and close)."""

        def keep(match: re.Match[str]) -> str:
            return match.group(0) if match.group(1) in ready else ""

        config = re.sub(r"^\s*server (\S+:\d+)[^;]*;\n", keep, self.template, flags=re.M)
        self.nginx.config_path.write_text(config)
        self.nginx.process.send_signal(signal.SIGHUP)
        self.ready = ready
        self.reloads += 1

    def wait_until(self, ready: set[str], timeout: float = 30) -> None:
        from .servers import wait_for

        wait_for(lambda: self.ready == ready, timeout, f"nginx to send only to {sorted(ready)}")
