"""The WSGI entry point: ``gunicorn 'wsgi:app'``. The only module-level Flask app."""

from registry import create_app

app = create_app()
