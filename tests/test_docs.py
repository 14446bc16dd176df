"""The docs stay complete: every check id is documented, every deployment file is shown
(the pages include the tested files themselves), and the README links to the guides."""

from __future__ import annotations

import re
import sys

import pytest

from .support.servers import EXAMPLE_PROJECT, REPO_ROOT

DOCS = REPO_ROOT / "docs"
CHECK_ID = re.compile(r"prodserver\.[EWI]\d{3}")


def test_every_check_id_is_documented() -> None:
    used = {
        check_id
        for path in (REPO_ROOT / "django_prodserver").rglob("*.py")
        for check_id in CHECK_ID.findall(path.read_text())
    }
    assert len(used) >= 13
    for page in (DOCS / "checks.md", REPO_ROOT / "README.md"):
        documented = set(CHECK_ID.findall(page.read_text()))
        assert used <= documented, f"{page.name} lacks {sorted(used - documented)}"


def test_every_deployment_file_is_shown_in_a_guide() -> None:
    shown = {
        (page.parent / match).resolve()
        for page in (DOCS / "deployment").glob("*.md")
        for match in re.findall(r"<!-- file: (\S+) \S+ -->", page.read_text())
    }
    deploy_files = {
        path.resolve() for path in (EXAMPLE_PROJECT / "deploy").rglob("*") if path.is_file()
    }
    assert deploy_files <= shown, sorted(str(p) for p in deploy_files - shown)


@pytest.mark.server_matrix  # the option tables are read from the installed servers
def test_the_generated_parts_of_the_pages_are_current() -> None:
    """Tables and recipe files are in the pages themselves (readable on GitHub);
    `python docs/refresh.py` rewrites them."""
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from prodserver_reference import stale_pages
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    assert stale_pages() == [], "run: python docs/refresh.py"


def test_no_page_shows_a_bare_include_directive() -> None:
    for page in DOCS.rglob("*.md"):
        if "_build" not in page.parts:
            assert "{include}" not in page.read_text(), page
            assert "{literalinclude}" not in page.read_text(), page


def test_readme_links_to_the_deployment_guides() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    for page in (DOCS / "deployment").glob("*.md"):
        assert f"docs/deployment/{page.name}" in readme, page.name
