"""gunicorn settings read from the working directory (the Docker image's /app): the application server
does not announce itself (no ``Server: gunicorn`` header); nginx hides its own version as well."""

from gunicorn.http import wsgi

_default_headers = wsgi.Response.default_headers


def _without_server_header(self):
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


wsgi.Response.default_headers = _without_server_header
