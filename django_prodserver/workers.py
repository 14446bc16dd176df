"""Public path of our gunicorn workers: ``gunicorn mysite.asgi:application
-k django_prodserver.workers.UvicornWorker``.

They live in :mod:`django_prodserver.runtime.gunicorn_worker`, with the rest of the code
that runs inside server processes.
"""

from .runtime.gunicorn_worker import UvicornH11Worker, UvicornWorker

__all__ = ["UvicornH11Worker", "UvicornWorker"]
