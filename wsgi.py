"""The WSGI entry point: `gunicorn wsgi:app`."""

from knowledgebase import create_app

app = create_app()
