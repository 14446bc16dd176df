"""Granian, the Rust HTTP server, serving Django's ASGI or WSGI application."""

from .servers import GranianASGIServer, GranianWSGIServer

__all__ = ["GranianASGIServer", "GranianWSGIServer"]
