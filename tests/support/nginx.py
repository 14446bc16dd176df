"""A real nginx for the deployment tests: Debian's package, installed or unpacked."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .debian import unpack
from .servers import wait_for

DEBIAN_PACKAGES = ("nginx", "nginx-common")
UNPACKED = Path(tempfile.gettempdir()) / "django-prodserver-nginx"


@dataclass(frozen=True)
class Nginx:
    binary: Path
    mime_types: Path


def find_nginx() -> Nginx | str:
    """nginx from the system, or Debian's package unpacked (no service started, nothing
    installed system-wide); a reason to skip when neither is possible."""
    installed = shutil.which("nginx", path=os.pathsep.join([os.environ["PATH"], "/usr/sbin"]))
    if installed and Path("/etc/nginx/mime.types").exists():
        return Nginx(Path(installed), Path("/etc/nginx/mime.types"))
    unpacked = Nginx(UNPACKED / "usr/sbin/nginx", UNPACKED / "etc/nginx/mime.types")
    if unpacked.binary.exists():
        return unpacked
    reason = unpack(DEBIAN_PACKAGES, UNPACKED)
    return reason if reason else unpacked


class NginxProcess:
    """nginx in the foreground with one configuration, its files under ``prefix``."""

    def __init__(self, nginx: Nginx, config: str, prefix: Path) -> None:
        self.prefix = prefix
        self.config_path = prefix / "nginx.conf"
        # Debian's build keeps its temporary files in /var/lib/nginx; these go in prefix.
        temporary = "".join(
            f"    {kind}_temp_path {prefix}/{kind}_temp;\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        assert "http {\n" in config
        self.config_path.write_text(config.replace("http {\n", "http {\n" + temporary, 1))
        self.log_path = prefix / "nginx.log"
        command = [
            str(nginx.binary),
            "-p",
            str(prefix),
            "-e",
            str(prefix / "error.log"),
            "-c",
            str(self.config_path),
            "-g",
            "daemon off;",
        ]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_listening(self, pid_file: Path) -> None:
        def started() -> bool:
            assert self.process.poll() is None, self.error_log()
            return pid_file.exists() and pid_file.read_text().strip() == str(self.process.pid)

        wait_for(started, 30, "nginx to start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
