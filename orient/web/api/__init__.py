"""The open JSON API (/api/v1): keys, evaluation, directory, disease search, FHIR export.

Read-only and stateless: no session, no cookie, no CSRF token (the blueprint is exempted
in ``create_app``), no CORS header. Answers travel in the POST body and are never stored
or logged (the access log records the path only). The same engine, ``compose``, directory
and search as the web pages, so the API and the wizard always give the same orientation.

- ``models.py``: the request and response bodies (pydantic), which validate, serialise and
  generate the OpenAPI schemas;
- ``views.py``: the routes (parse, ask, serialise);
- ``errors.py``: the JSON error protocol (stable codes, French messages);
- ``openapi.py``: the OpenAPI 3.1 document (paths by hand, schemas from the models).
"""

from orient.web.api.errors import PREFIX, ApiError
from orient.web.api.views import bp

__all__ = ["PREFIX", "ApiError", "bp"]
