"""Request and response types and the UTC timestamp helper: a leaf module (it imports nothing from the sandbox
but the error types), so every service handler can use them without importing the server."""

from __future__ import annotations

import datetime
import json
import time
import urllib.parse
import uuid

from .errors import ApiError


def utc_iso(ts: float | None = None, ms: bool = False) -> str:
    d = datetime.datetime.fromtimestamp(ts if ts is not None else time.time(), datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" if ms else d.strftime("%Y-%m-%dT%H:%M:%SZ")


class Request:
    def __init__(self, method, path, query, headers, body, base_url):
        self.method = method
        self.path = path
        self.query = query  # name -> value (first); names as sent
        self.headers = headers
        self.body = body
        self.base_url = base_url
        self.request_id = str(uuid.uuid4())
        self.client_request_id = headers.get("client-request-id") or headers.get("x-ms-client-request-id")
        self.tenant = None  # tenant id, set by the service handlers for the log
        self.principal_kind = "none"
        self._json = None

    def q(self, name, default=None):
        """Query parameter, case-insensitive name, `$`-prefix optional for OData options."""
        for k, v in self.query.items():
            if k.lower() == name.lower() or k.lower() == "$" + name.lower().lstrip("$"):
                return v
        return default

    def json(self, error_factory=None):
        if self._json is None:
            if not self.body:
                self._json = {}
            else:
                try:
                    self._json = json.loads(self.body)
                except ValueError:
                    raise ApiError(400, "BadRequest", "The request body is not valid JSON.") from None
        return self._json

    def form(self) -> dict:
        fields = urllib.parse.parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] for k, v in fields.items()}


class Response:
    def __init__(self, status=200, body=None, headers=None):
        self.status = status
        self.body = body
        self.headers = headers or {}
