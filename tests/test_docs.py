"""The docs stay complete: every check id is documented, every deployment file is shown
(the pages include the tested files themselves), and the README links to the guides."""

from __future__ import annotations

import re

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


def test_every_deployment_file_is_included_in_a_guide() -> None:
    included = {
        (page.parent / match).resolve()
        for page in (DOCS / "deployment").glob("*.md")
        for match in re.findall(r"```\{literalinclude\} (\S+)", page.read_text())
    }
    deploy_files = {
        path.resolve() for path in (EXAMPLE_PROJECT / "deploy").rglob("*") if path.is_file()
    }
    assert deploy_files <= included, sorted(str(p) for p in deploy_files - included)


def test_readme_links_to_the_deployment_guides() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    for page in (DOCS / "deployment").glob("*.md"):
        assert f"docs/deployment/{page.name}" in readme, page.name
