"""django-q2's cluster, ``qcluster``: its workers, monitor and scheduler, configured by the
``Q_CLUSTER`` setting."""

from collections.abc import Mapping
from typing import ClassVar

from ..management.commands import ManagementCommand


class DjangoQ2Worker(ManagementCommand):
    """``manage.py qcluster <ARGS>`` in this process. SIGTERM stops the cluster once its
    running tasks finish."""

    command = "qcluster"
    process_keys: ClassVar[Mapping[str, str]] = {}
    install_hint = (
        "pip install 'django-prodserver[q2]' and add 'django_q' to INSTALLED_APPS "
        "(the app of django-q2 is django_q)"
    )


__all__ = ["DjangoQ2Worker"]
