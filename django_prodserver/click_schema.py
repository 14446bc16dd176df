"""Public, documented path: build an OptionSchema from a click command.

The reader lives in :mod:`django_prodserver.options.readers.click`; this module keeps the
path custom backends were told to import.
"""

from .options.readers.click import schema_from_click

__all__ = ["schema_from_click"]
