"""The uvicorn-worker package's worker with its access log off, set the way its README shows
(CONFIG_KWARGS), so that every server in a comparison logs nothing per request."""

from typing import Any, ClassVar

from uvicorn_worker import UvicornWorker


class QuietUvicornWorker(UvicornWorker):  # type: ignore[misc]
    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {"loop": "auto", "http": "auto", "access_log": False}
