from django.apps import AppConfig
from django.core import checks

from .server_loggers import reenable_server_loggers


class ProdserverConfig(AppConfig):
    name = "django_prodserver"
    verbose_name = "Production server"

    def ready(self) -> None:
        from .checks import check_asgi_middleware, check_configuration, check_deployment

        checks.register(check_configuration, "prodserver")
        checks.register(check_asgi_middleware, "prodserver")
        checks.register(check_deployment, "prodserver", deploy=True)
        reenable_server_loggers()
