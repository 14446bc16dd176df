"""waitress, the pure-Python WSGI server."""

from .servers import WaitressServer

__all__ = ["WaitressServer"]
