from django.apps import AppConfig
from django.core import checks

from .runtime.json_logs import use_json_lines
from .runtime.server_loggers import reenable_server_loggers


class ProdserverConfig(AppConfig):
    name = "django_prodserver"
    verbose_name = "Production server"

    def ready(self) -> None:
        from .checks import (
            check_asgi_middleware,
            check_configuration,
            check_deployment,
            check_machine,
        )

        checks.register(check_configuration, "prodserver")
        checks.register(check_asgi_middleware, "prodserver", deploy=True)
        checks.register(check_machine, "prodserver", deploy=True)
        checks.register(check_deployment, "prodserver", deploy=True)
        reenable_server_loggers()
        # In a server process under 'log-format': 'json', Django's logging was just set up.
        use_json_lines()
