"""uvicorn serving the project's ASGI application (UvicornServer), or its WSGI application
(UvicornWSGIServer): the classes, uvicorn's option schema read from its click command with
the checks its parser leaves to start-up time, and the options prodserver adds."""

from .servers import UvicornServer, UvicornWSGIServer

__all__ = ["UvicornServer", "UvicornWSGIServer"]
