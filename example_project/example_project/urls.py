from django.urls import path
from django.views.generic import TemplateView

from . import views

urlpatterns = [
    path("", TemplateView.as_view(template_name="index.html"), name="index"),
    path("sync/", views.sync_view, name="sync"),
    path("async/", views.async_view, name="async"),
    path("health/", views.health, name="health"),
    path("request-info/", views.request_info, name="request-info"),
    path("hello/", views.hello, name="hello"),
    path("upload/", views.upload, name="upload"),
    path("slow/", views.slow, name="slow"),
]
