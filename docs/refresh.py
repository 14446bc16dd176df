"""Rewrite the parts of the docs made from the code and the repository's files (option
tables, error messages, deployment recipes), in the pages themselves:

    python docs/refresh.py
"""

import conf  # noqa: F401  (the paths and the Django set-up the docs build uses)
from prodserver_reference import DOCS, refresh_pages

if __name__ == "__main__":
    for changed in refresh_pages():
        print(f"updated {changed.relative_to(DOCS.parent)}")
