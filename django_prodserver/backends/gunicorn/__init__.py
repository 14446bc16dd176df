"""gunicorn's arbiter around our uvicorn worker (GunicornUvicornServer) or around its own
workers (GunicornServer): the classes, and gunicorn's option schema read from its settings
registry, with the split of options between gunicorn and our worker."""

from .servers import GunicornServer, GunicornUvicornServer

__all__ = ["GunicornServer", "GunicornUvicornServer"]
