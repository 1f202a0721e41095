"""HTTPS server: request parsing, fault injection, logging, error rendering and the control API."""

from __future__ import annotations

import json
import socket
import ssl
import struct
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .app import Emulator, redact
from .errors import ApiError, EntraError
from .messages import Request, Response, utc_iso

REASONS = {429: "TooManyRequests", 500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable",
           504: "GatewayTimeout", 400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
           409: "Conflict", 408: "RequestTimeout"}


# A TLS 1.2 record: alert (21), version 3.3, length 2, level fatal (2), description handshake_failure (40).
TLS_ALERT_HANDSHAKE_FAILURE = bytes([21, 3, 3, 0, 2, 2, 40])


def service_of(path: str) -> str:
    first = path.split("/", 2)[1].lower() if path.startswith("/") and len(path) > 1 else ""
    if first == "_emulator":
        return "control"
    if first in ("v1.0", "beta"):
        return "graph"
    if first in ("subscriptions", "providers", "metadata"):  # /metadata/endpoints: ARM's cloud metadata
        return "arm"
    return "entra"


def error_body(service: str, req: Request, err: ApiError) -> dict:
    if service == "graph":
        return {"error": {"code": err.code, "message": err.message, "innerError": {
            "date": utc_iso(), "request-id": req.request_id,
            "client-request-id": req.client_request_id or req.request_id}}}
    return {"error": {"code": err.code, "message": err.message}}


def entra_error_body(req: Request, err: EntraError) -> dict:
    return {"error": err.error,
            "error_description": f"AADSTS{err.aadsts}: {err.description} Trace ID: {req.request_id} "
                                 f"Correlation ID: {req.client_request_id or req.request_id} Timestamp: {utc_iso()}",
            "error_codes": [err.aadsts], "timestamp": utc_iso(), "trace_id": req.request_id,
            "correlation_id": req.client_request_id or req.request_id,
            "error_uri": f"{req.base_url}/error?code={err.aadsts}"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "w365-sandbox"
    sys_version = ""
    # TCP_NODELAY: http.server sends the headers and the body of an answer as two writes; with Nagle on, the body
    # waits for the client's delayed ACK of the headers (40 ms on Linux), a stall on every request that no Azure
    # front end adds and that hid the client's own cost in the benchmarks (bench/README.md, issue 19).
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # the request log lives in the control API, not on stderr
        pass

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self):
        emu: Emulator = self.server.emulator
        started = time.time()
        parsed = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parsed.path)
        query = {}
        for k, v in urllib.parse.parse_qsl(parsed.query, keep_blank_values=True):
            query.setdefault(k, v)
        body = self._read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        host = headers.get("host") or f"127.0.0.1:{self.server.server_address[1]}"
        req = Request(self.command, path, query, headers, body, f"https://{host}")
        service = service_of(path)
        if service == "control":
            from . import control

            try:
                resp = control.handle(emu, req)
            except ApiError as err:
                resp = Response(err.status, {"error": {"code": err.code, "message": err.message}})
            except Exception:  # noqa: BLE001 - a server answers 500 for its own bugs (traceback on stderr)
                traceback.print_exc()
                resp = Response(500, {"error": {"code": "InternalServerError", "message": "see the sandbox stderr"}})
            self._send(resp, req, service)
            return
        latency, delay, rule = emu.match_fault(self.command, path, service)
        if latency:  # slow processing: the service acts (and a write takes effect) only after the delay
            time.sleep(latency / 1000.0)
        if rule is not None and rule.drop:
            self._log(emu, req, service, 0, started, fault=True, delivered=False)
            self._drop_connection()
            return
        if rule is not None and rule.status is not None:
            resp = self._fault_response(req, service, rule)
        else:
            resp = self._dispatch(emu, req, service)
        if delay:  # the write has taken effect; its answer is slow to come
            time.sleep(delay / 1000.0)
        if rule is not None and rule.answer_lost:
            # Processed, then the answer lost: logged with the status the service chose, never sent.
            self._log(emu, req, service, resp.status, started, fault=True, delivered=False)
            self._drop_connection()
            return
        delivered = False
        try:
            self._send(resp, req, service)
            delivered = True
        finally:  # a client that hung up still made the request: the log must show it (zero-write checks)
            self._log(emu, req, service, resp.status, started, fault=rule is not None, delivered=delivered)

    def _drop_connection(self):
        """Close the TCP connection without an answer (and without a TLS close_notify), as a lost route does."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _fault_response(self, req, service, rule) -> Response:
        code = rule.code or REASONS.get(rule.status, "Error")
        headers = {}
        if rule.retry_after is not None:
            headers["Retry-After"] = str(int(rule.retry_after)) if float(rule.retry_after).is_integer() \
                else str(rule.retry_after)
        if service == "entra":
            err = EntraError(rule.status, "temporarily_unavailable" if rule.status >= 500 or rule.status == 429
                             else "invalid_request", 50196 if rule.status == 429 else 90033,
                             "The service is temporarily unavailable (injected fault).")
            return Response(rule.status, entra_error_body(req, err), headers)
        message = "Too many requests." if rule.status == 429 else f"Injected fault {rule.status}."
        return Response(rule.status, error_body(service, req, ApiError(rule.status, code, message)), headers)

    def _dispatch(self, emu: Emulator, req: Request, service: str) -> Response:
        from . import arm, entra, graph

        handler = {"entra": entra.handle, "graph": graph.handle, "arm": arm.handle}[service]
        try:
            with emu.lock:
                emu.pin_now()
                try:
                    emu.settle()
                    resp = handler(emu, req)
                finally:
                    emu.unpin_now()
        except ApiError as err:
            return Response(err.status, error_body(service, req, err), err.headers)
        except EntraError as err:
            return Response(err.status, entra_error_body(req, err))
        except Exception:  # noqa: BLE001 - a server answers 500 for its own bugs (traceback on stderr)
            traceback.print_exc()
            err = ApiError(500, "InternalServerError", "The sandbox failed to handle the request (see its stderr).")
            return Response(500, error_body(service, req, err))
        return resp

    def _send(self, resp: Response, req: Request, service: str):
        body = resp.body
        headers = dict(resp.headers)
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode("utf-8")
            ctype = "application/json; charset=utf-8"
            if service == "graph":
                ctype = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;" \
                        "charset=utf-8"
            headers.setdefault("Content-Type", ctype)
        elif isinstance(body, str):
            data = body.encode("utf-8")
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        else:
            data = body or b""
        if service == "graph":
            headers["request-id"] = req.request_id
            headers["client-request-id"] = req.client_request_id or req.request_id
        elif service == "arm":
            headers["x-ms-request-id"] = req.request_id
            headers["x-ms-correlation-request-id"] = req.headers.get("x-ms-correlation-request-id") or req.request_id
            if req.headers.get("x-ms-client-request-id"):
                headers["x-ms-client-request-id"] = req.headers["x-ms-client-request-id"]
        elif service == "entra":
            headers["x-ms-request-id"] = req.request_id
            headers["Cache-Control"] = "no-store, no-cache"
        self.send_response(resp.status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and data:
            self.wfile.write(data)

    def _log(self, emu, req, service, status, started, fault=False, delivered=True):
        body = None
        if req.body:
            ctype = req.headers.get("content-type", "")
            if "x-www-form-urlencoded" in ctype:
                body = redact(req.form())
            else:
                try:
                    body = redact(json.loads(req.body))
                except ValueError:
                    body = "<non-JSON body>"
        query = redact(dict(req.query))
        emu.record({
            "time": utc_iso(started, ms=True), "method": req.method, "path": req.path, "query": query,
            "status": status, "tenant": req.tenant, "principal_kind": req.principal_kind, "service": service,
            "body": body, "request_id": req.request_id, "fault": fault, "answer_delivered": delivered,
            "duration_ms": round((time.time() - started) * 1000, 1),
        })


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address, emulator: Emulator, ssl_context: ssl.SSLContext):
        super().__init__(address, Handler)
        self.emulator = emulator
        self.ssl_context = ssl_context

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the connection's own thread, so one slow client can't stall accept().
        request.settimeout(240)  # idle keep-alive connections close after 4 minutes, as Azure front ends do
        tls_fault = self.emulator.match_tls_fault()
        if tls_fault is not None:
            self._tls_fault(request, tls_fault)
            return
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    @staticmethod
    def _tls_fault(request, kind):
        """Fail the handshake after the ClientHello: a fatal handshake_failure alert, or a TCP reset."""
        request.settimeout(10)
        try:
            request.recv(16384)  # the ClientHello
            if kind == "handshake_failure":
                request.sendall(TLS_ALERT_HANDSHAKE_FAILURE)
            else:  # reset: RST instead of FIN
                request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            request.close()
        except OSError:
            pass

    def handle_error(self, request, client_address):  # clients that hang up are normal; stay quiet
        pass
