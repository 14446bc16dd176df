"""Sphinx configuration: MyST Markdown pages, the furo theme, and reference tables
generated from the installed servers (``_ext/prodserver_reference.py``)."""

import os
import sys
from pathlib import Path

import django

DOCS = Path(__file__).resolve().parent
sys.path[:0] = [str(DOCS.parent), str(DOCS.parent / "example_project"), str(DOCS / "_ext")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
os.environ.setdefault("DJANGO_DATABASE_PATH", ":memory:")
django.setup()

project = "django-prodserver"
author = "django-prodserver contributors"
extensions = ["myst_parser", "prodserver_reference"]
html_theme = "furo"
html_title = "django-prodserver"
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
exclude_patterns = ["_build", "generated"]
suppress_warnings: list[str] = []
