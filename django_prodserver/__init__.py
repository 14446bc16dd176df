"""A consistent, validated way to start a Django project's production web servers."""

__version__ = "0.1.0"
