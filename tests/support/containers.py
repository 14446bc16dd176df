"""What a container runtime would do with a Dockerfile, without one: its instructions and
environment, and a command run with the whole filesystem read-only, as with Docker's
``--read-only`` or Kubernetes' ``readOnlyRootFilesystem``."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

READ_ONLY_ROOT = r"""
mount --make-rprivate /
for target in $(findmnt -rno TARGET | grep -vE '^/(proc|sys|dev)(/|$)'); do
    mount -o remount,bind,ro "$target" 2>/dev/null || true
done
if touch "$PWD/.read-only-probe" 2>/dev/null; then echo "root is not read-only"; exit 99; fi
exec "$@"
"""


def dockerfile_instructions(dockerfile: Path) -> list[tuple[str, str]]:
    text = dockerfile.read_text().replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def dockerfile_env(dockerfile: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in dockerfile_instructions(dockerfile):
        if keyword == "ENV":
            for assignment in shlex.split(rest):
                name, _, value = assignment.partition("=")
                env[name] = value
    return env


def read_only_root(cwd: Path) -> list[str]:
    """A command prefix that runs the rest with every mount read-only (skips the test where
    this machine does not allow a private mount namespace)."""
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", READ_ONLY_ROOT, "sh", "true"],
        capture_output=True,
        cwd=cwd,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot mount the filesystem read-only here: {probe.stderr.decode()}")
    return ["unshare", "-m", "sh", "-c", READ_ONLY_ROOT, "sh"]
