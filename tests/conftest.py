from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from cryptography.hazmat.primitives import serialization

from .support.figures import FIGURES
from .support.notify import NotifyListener
from .support.redis import RedisServer, find_redis, running_redis
from .support.servers import EXAMPLE_PROJECT, ServerFactory, server_factory

ENCRYPTED_KEY_PASSWORD = "correct horse"


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[ServerFactory]:
    yield from server_factory(tmp_path)


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A private copy of the example project, for tests that edit its files."""
    copy = tmp_path / "project"
    shutil.copytree(
        EXAMPLE_PROJECT, copy, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3")
    )
    return copy


@pytest.fixture(scope="session")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def tls_files(
    certificate_authority: trustme.CA, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """A server certificate for 127.0.0.1/localhost, its key, and the CA that signed it."""
    directory = tmp_path_factory.mktemp("tls")
    leaf = certificate_authority.issue_cert("127.0.0.1", "localhost", "::1")
    files = {
        "cert": directory / "cert.pem",
        "key": directory / "key.pem",
        "ca": directory / "ca.pem",
    }
    leaf.cert_chain_pems[0].write_to_path(str(files["cert"]))
    leaf.private_key_pem.write_to_path(str(files["key"]))
    certificate_authority.cert_pem.write_to_path(str(files["ca"]))
    return files


@pytest.fixture
def encrypted_key(tls_files: dict[str, Path], tmp_path: Path) -> Path:
    """The server key of ``tls_files``, encrypted with ENCRYPTED_KEY_PASSWORD."""
    key = serialization.load_pem_private_key(tls_files["key"].read_bytes(), password=None)
    path = tmp_path / "encrypted-key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(ENCRYPTED_KEY_PASSWORD.encode()),
        )
    )
    return path


@pytest.fixture
def notify_listener(tmp_path: Path) -> Iterator[NotifyListener]:
    listener = NotifyListener(tmp_path / "notify")
    yield listener
    listener.sock.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("reliability figures")
        for what, figure in FIGURES:
            terminalreporter.write_line(f"{what}: {figure}")


@pytest.fixture(scope="session")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer | str]:
    """A real Redis on a free loopback port, or the reason there is none (to skip with)."""
    binary = find_redis()
    if isinstance(binary, str):
        yield binary
        return
    with running_redis(binary, tmp_path_factory.mktemp("redis")) as server:
        yield server
