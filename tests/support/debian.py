"""Debian packages unpacked into a folder of ours, without installing a service or anything
system-wide: how the tests get a real nginx and a real Redis."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def unpack(packages: tuple[str, ...], into: Path) -> str | None:
    """Download ``packages`` with apt-get and unpack them into ``into``; the reason they
    cannot be had, or None."""
    if not shutil.which("apt-get") or not shutil.which("dpkg"):
        return f"{packages[0]} is not installed and this is not a Debian-based system"
    download = Path(tempfile.mkdtemp(prefix="prodserver-deb-"))
    try:
        fetched = _download(packages, download)
        if fetched.returncode != 0 and os.geteuid() == 0:
            # A fresh machine may have no package lists yet.
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=600)
            fetched = _download(packages, download)
        if fetched.returncode != 0:
            return (
                f"Debian's {packages[0]} package could not be downloaded: {fetched.stderr.strip()}"
            )
        for package in download.glob("*.deb"):
            subprocess.run(["dpkg", "-x", str(package), str(into)], check=True, timeout=120)
    finally:
        shutil.rmtree(download, ignore_errors=True)
    return None


def _download(packages: tuple[str, ...], directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", "download", *packages],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
    )
