"""A raw HTTPS client for the emulator's behaviour tests (stdlib http.client, keep-alive per instance), on top of the
one test harness `tests.helpers.sandbox` (which starts the sandbox and implements its control API)."""

from __future__ import annotations

import http.client
import json
import ssl
import urllib.parse
from pathlib import Path

from tests.helpers.sandbox import AZURE_CLI, GRAPH_CLI, Sandbox, start_sandbox, token_form

GRAPH = "https://graph.microsoft.com/.default"
ARM = "https://management.azure.com/.default"
ANC_PATH = "/v1.0/deviceManagement/virtualEndpoint/onPremisesConnections"
IMG_PATH = "/v1.0/deviceManagement/virtualEndpoint/deviceImages"
POL_PATH = "/v1.0/deviceManagement/virtualEndpoint/provisioningPolicies"

__all__ = ["ANC_PATH", "ARM", "AZURE_CLI", "Api", "GRAPH", "GRAPH_CLI", "IMG_PATH", "POL_PATH", "Reply", "start"]


class Reply:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.raw = raw
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    @property
    def code(self):
        err = (self.json or {}).get("error")
        return err.get("code") if isinstance(err, dict) else err

    def __repr__(self):
        return f"<Reply {self.status} {self.raw[:400]!r}>"


class Api:
    def __init__(self, box: Sandbox):
        self.box = box
        self.proc = box.process
        self.url = box.url
        self.ca = box.ca_bundle
        self.ctx = ssl.create_default_context(cafile=self.ca)
        u = urllib.parse.urlsplit(self.url)
        self.host, self.port = u.hostname, u.port
        self._conn = None
        self.tokens = {}

    def _connection(self):
        if self._conn is None:
            self._conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=30)
        return self._conn

    def request(self, method, path, body=None, headers=None, form=None, params=None):
        hdrs = dict(headers or {})
        if path.startswith("/_emulator/") and "Authorization" not in hdrs:
            hdrs["Authorization"] = f"Bearer {self.proc.control_token}"
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if params:
            path = f"{path}{'&' if '?' in path else '?'}{urllib.parse.urlencode(params, safe='$(),')}"
        for attempt in range(2):
            conn = self._connection()
            try:
                conn.request(method, path, body=data, headers=hdrs)
                resp = conn.getresponse()
                return Reply(resp.status, resp.getheaders(), resp.read())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                self._conn = None
                if attempt:
                    raise

    # -- sign-in -------------------------------------------------------------------------------------------------
    def token_reply(self, tenant, form):
        return self.request("POST", f"/{tenant}/oauth2/v2.0/token", form=form)

    def app_token(self, tenant, client_id, secret, scope):
        key = (tenant, client_id, scope)
        if key not in self.tokens:
            r = self.token_reply(tenant, token_form(scope, client_id, secret=secret))
            assert r.status == 200, r
            self.tokens[key] = r.json["access_token"]
        return self.tokens[key]

    def user_token(self, tenant, upn, password, scope, client_id=None):
        """A user's token. Default client as the collection's: Microsoft Graph Command Line Tools for Graph (the
        scopes the seed consented), the Azure CLI for ARM (pre-authorized user_impersonation)."""
        form = token_form(scope, client_id, username=upn, password=password)
        key = (tenant, upn, scope, form["client_id"])
        if key not in self.tokens:
            r = self.token_reply(tenant, form)
            assert r.status == 200, r
            self.tokens[key] = r.json["access_token"]
        return self.tokens[key]

    def call(self, token, method, path, body=None, params=None, headers=None):
        hdrs = {"Authorization": f"Bearer {token}", **(headers or {})}
        return self.request(method, path, body=body, params=params, headers=hdrs)

    # -- control -------------------------------------------------------------------------------------------------
    def control(self, method, name, body=None):
        return self.box.control(method, name, body)

    def log(self):
        return self.box.requests()

    def clear_log(self):
        self.box.clear_requests()

    def advance(self, seconds):
        return self.box.advance(seconds)

    def state(self):
        return self.box.state()

    def close(self):
        if self._conn is not None:
            self._conn.close()


def start(seed, workdir: Path, time_scale=1.0, extra_args=()):
    """Start an emulator on a seed path or dict (tests.helpers.sandbox.start_sandbox); returns (Sandbox, Api)."""
    box = start_sandbox(seed, time_scale=time_scale, extra_args=extra_args, workdir=workdir)
    return box, Api(box)
