"""Any Django management command as a process, and Django's development server."""

from .commands import ManagementCommand, RunServer

__all__ = ["ManagementCommand", "RunServer"]
