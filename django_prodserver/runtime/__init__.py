"""Code that runs inside the server and worker processes. It imports nothing from the
Django glue or from ``backends``: the gunicorn master is started with ``python -m`` and
must not import Django before the project asks it to."""
