"""An RQ worker, ``rqworker`` from django-rq, on the queues of the ``RQ_QUEUES`` setting."""

from collections.abc import Mapping
from typing import ClassVar

from ..management.commands import ManagementCommand


class RQWorker(ManagementCommand):
    """``manage.py rqworker <ARGS>`` in this process; the queues to work on are its
    positional argument, ``"args": ["high", "default"]``. SIGTERM is RQ's warm shutdown: the
    running job finishes, then the worker exits 0."""

    command = "rqworker"
    process_keys: ClassVar[Mapping[str, str]] = {}
    install_hint = "pip install 'django-prodserver[rq]' and add 'django_rq' to INSTALLED_APPS"


__all__ = ["RQWorker"]
