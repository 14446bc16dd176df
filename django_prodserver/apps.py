from django.apps import AppConfig


class ProdserverConfig(AppConfig):
    name = "django_prodserver"
    verbose_name = "Production server"
