"""The project's wiring: settings, root URLs and the API router, the Celery app, WSGI/ASGI and the
demo data. It sits above every app and may import all of them; the apps (the tenancy core in
`portal`, then `programs`, `scoring`, `submissions`) never import it."""

from .celery import app as celery_app

__all__ = ["celery_app"]
