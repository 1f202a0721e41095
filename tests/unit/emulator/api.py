"""A small HTTPS client for driving the emulator in behaviour tests (stdlib only, keep-alive per instance)."""

from __future__ import annotations

import http.client
import json
import ssl
import tempfile
import urllib.parse
from pathlib import Path

import yaml

from w365_sandbox.launcher import start_emulator

GRAPH = "https://graph.microsoft.com/.default"
ARM = "https://management.azure.com/.default"
ANC_PATH = "/v1.0/deviceManagement/virtualEndpoint/onPremisesConnections"
IMG_PATH = "/v1.0/deviceManagement/virtualEndpoint/deviceImages"
POL_PATH = "/v1.0/deviceManagement/virtualEndpoint/provisioningPolicies"


AZURE_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
GRAPH_CLI = "14d82eec-204b-4c2f-b7e8-296a70dab67e"


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
    def __init__(self, proc):
        self.proc = proc
        self.url = proc.url
        self.ca = proc.ca_bundle
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
            r = self.token_reply(tenant, {"grant_type": "client_credentials", "client_id": client_id,
                                          "client_secret": secret, "scope": scope})
            assert r.status == 200, r
            self.tokens[key] = r.json["access_token"]
        return self.tokens[key]

    def user_token(self, tenant, upn, password, scope, client_id=None):
        """A user's token. Default client as the collection's: Microsoft Graph Command Line Tools for Graph (the
        scopes the seed consented), the Azure CLI for ARM (pre-authorized user_impersonation)."""
        if client_id is None:
            client_id = GRAPH_CLI if "graph" in scope else AZURE_CLI
        key = (tenant, upn, scope, client_id)
        if key not in self.tokens:
            r = self.token_reply(tenant, {"grant_type": "password", "client_id": client_id, "username": upn,
                                          "password": password, "scope": scope})
            assert r.status == 200, r
            self.tokens[key] = r.json["access_token"]
        return self.tokens[key]

    def call(self, token, method, path, body=None, params=None, headers=None):
        hdrs = {"Authorization": f"Bearer {token}", **(headers or {})}
        return self.request(method, path, body=body, params=params, headers=hdrs)

    # -- control -------------------------------------------------------------------------------------------------
    def control(self, method, name, body=None):
        r = self.request(method, f"/_emulator/{name}", body=body)
        assert r.status < 300, r
        return r.json

    def log(self):
        return self.control("GET", "requests")["requests"]

    def clear_log(self):
        self.control("DELETE", "requests")

    def advance(self, seconds):
        return self.control("POST", "time", {"advance_seconds": seconds})

    def state(self):
        return self.control("GET", "state")

    def close(self):
        if self._conn is not None:
            self._conn.close()


def start(seed, workdir: Path, time_scale=1.0, extra_args=()):
    """Start an emulator on a seed path or dict; returns (process, Api)."""
    if isinstance(seed, dict):
        handle = tempfile.NamedTemporaryFile("w", suffix=".yml", dir=workdir, delete=False, encoding="utf-8")
        with handle:
            yaml.safe_dump(seed, handle, sort_keys=False)
        seed = handle.name
    proc = start_emulator(str(seed), time_scale=time_scale, extra_args=extra_args)
    return proc, Api(proc)
