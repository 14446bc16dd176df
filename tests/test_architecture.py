"""The package's layout as docs/architecture.md draws it: every module on the map, the
public paths importable, and no import running upward between the layers."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from .support.servers import REPO_ROOT

PACKAGE = REPO_ROOT / "django_prodserver"
ARCHITECTURE = REPO_ROOT / "docs" / "architecture.md"

#: The paths users write in settings, on `gunicorn -k`, or in their own backends.
PUBLIC_PATHS = [
    "django_prodserver.backends.uvicorn.UvicornServer",
    "django_prodserver.backends.uvicorn.UvicornWSGIServer",
    "django_prodserver.backends.gunicorn.GunicornUvicornServer",
    "django_prodserver.backends.gunicorn.GunicornServer",
    "django_prodserver.backends.base.BaseServerBackend",
    "django_prodserver.workers.UvicornWorker",
    "django_prodserver.workers.UvicornH11Worker",
    "django_prodserver.click_schema.schema_from_click",
    "django_prodserver.asgi.get_asgi_application",
]

#: What each layer may not import (by module path prefix).
GLUE = (
    "django_prodserver.apps",
    "django_prodserver.conf",
    "django_prodserver.processes",
    "django_prodserver.checks",
    "django_prodserver.banner",
    "django_prodserver.management",
)
FORBIDDEN = {
    "django_prodserver.runtime": (
        *GLUE,
        "django_prodserver.backends",
        "django_prodserver.options",
        "django",
    ),
    "django_prodserver.options": (
        *GLUE,
        "django_prodserver.backends",
        "django_prodserver.runtime",
        "django",
    ),
    "django_prodserver.asgi": (
        *GLUE,
        "django_prodserver.backends",
        "django_prodserver.options",
        "django_prodserver.runtime",
    ),
    "django_prodserver.backends": GLUE,
    "django_prodserver._compat": ("django_prodserver", "django"),
}


def modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if path.name != "__init__.py")


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(part for part in parts if part != "__init__")


@pytest.mark.parametrize("path", modules(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_every_module_is_on_the_map(path: Path) -> None:
    tree = ARCHITECTURE.read_text().split("## The tree", 1)[1].split("```", 2)[1]
    assert f" {path.name} " in tree or f" {path.name}\n" in tree, (
        f"{path.relative_to(REPO_ROOT)} is missing from docs/architecture.md's tree"
    )


def test_no_top_level_module_is_named_after_a_server() -> None:
    prefixed = [
        path.name
        for path in PACKAGE.glob("*.py")
        if path.name.startswith(("uvicorn_", "gunicorn_", "granian_", "celery_", "worker_"))
    ]
    assert prefixed == []


@pytest.mark.parametrize("dotted", PUBLIC_PATHS)
def test_public_paths_import(dotted: str) -> None:
    module, _, name = dotted.rpartition(".")
    assert getattr(importlib.import_module(module), name) is not None


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    package = (
        module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    )
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize(
    "path",
    [path for path in PACKAGE.rglob("*.py")],
    ids=lambda path: str(path.relative_to(PACKAGE)),
)
def test_no_import_runs_upward(path: Path) -> None:
    name = module_name(path)
    for layer, forbidden in FORBIDDEN.items():
        if name != layer and not name.startswith(layer + "."):
            continue
        upward = sorted(
            target
            for target in imports_of(path)
            if any(target == prefix or target.startswith(prefix + ".") for prefix in forbidden)
            and not target.startswith(layer)
        )
        assert upward == [], f"{name} imports {upward}"


def test_the_gunicorn_master_imports_no_django() -> None:
    """`python -m` of the master must stay cheap: Django comes in only with the project."""
    code = (
        "import sys, django_prodserver.runtime.gunicorn_master; "
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    assert result.stdout.strip() == "[]"
