import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")

from .websocket import build_application

application = build_application()
