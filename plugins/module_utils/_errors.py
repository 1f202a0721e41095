# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exception types of the collection. Messages never carry secrets or tokens."""

from __future__ import annotations

import re
from typing import Any, Dict, Optional

# Query string parameters that may carry credentials; stripped from URLs before they reach a message.
_SECRET_QUERY = re.compile(r'(?i)([?&](?:client_secret|code|password|access_token|sig|token)=)[^&#]*')


def redact_url(url: Optional[str]) -> Optional[str]:
    if not url:
        return url
    return _SECRET_QUERY.sub(r'\1***', str(url))


class W365Error(Exception):
    """Base class: every error the client layer raises on purpose.

    `result`: extra fields for the failed task's result (for example the resource as last seen), set by the code
    that knows them; `W365Module.fail_from_exception` adds them.
    """

    result: Optional[Dict[str, Any]] = None

    def to_dict(self) -> Dict[str, Any]:
        return {'type': type(self).__name__, 'message': str(self)}


class W365ApiError(W365Error):
    """A non-success answer from Microsoft Graph or Azure Resource Manager."""

    def __init__(self, status: Optional[int], code: Optional[str], message: Optional[str],
                 request_id: Optional[str] = None, client_request_id: Optional[str] = None,
                 method: Optional[str] = None, url: Optional[str] = None, service: str = 'graph',
                 detail: Optional[str] = None) -> None:
        self.status = status
        # What the client layer adds, e.g. how long it retried before giving up.
        self.detail = detail
        self.code = code
        self.message = message
        self.request_id = request_id
        self.client_request_id = client_request_id
        self.method = method
        self.url = redact_url(url)
        self.service = service
        super().__init__(self._line())

    def _line(self):
        parts = []
        if self.status is not None:
            parts.append('HTTP %s' % self.status)
        if self.code:
            parts.append(str(self.code))
        head = ' '.join(parts)
        text = '%s: %s' % (head, self.message) if head else str(self.message)
        extra = []
        if self.url:
            extra.append('%s %s' % (self.method, self.url) if self.method else self.url)
        if self.request_id:
            extra.append('request id %s' % self.request_id)
        if self.client_request_id and self.client_request_id != self.request_id:
            extra.append('client request id %s' % self.client_request_id)
        if extra:
            text += ' (%s)' % ', '.join(extra)
        if self.detail:
            text += '; %s' % self.detail
        return ' '.join(text.split())

    def to_dict(self) -> Dict[str, Any]:
        return {
            'type': type(self).__name__,
            'service': self.service,
            'status': self.status,
            'code': self.code,
            'message': self.message,
            'request_id': self.request_id,
            'client_request_id': self.client_request_id,
            'method': self.method,
            'url': self.url,
            'detail': self.detail,
        }


def _header(headers, name):
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        lower = name.lower()
        for key in headers:
            if key.lower() == lower:
                return headers[key]
    return value


def _response_text(http_response):
    # Only called with azure-core responses, so azure-core is importable here.
    from azure.core.exceptions import ResponseNotReadError
    try:
        return http_response.text()
    except (AttributeError, ValueError, UnicodeDecodeError, ResponseNotReadError):
        # An unread stream or undecodable body: report the status without a body.
        return ''


def error_from_response(http_response: Any, service: str = 'graph', detail: Optional[str] = None) -> W365ApiError:
    """W365ApiError from an azure-core HTTP response of Graph or ARM (duck-typed: status_code, headers, text())."""
    import json
    status = http_response.status_code
    headers = getattr(http_response, 'headers', None) or {}
    text = _response_text(http_response)
    code = message = None
    inner: Dict[str, Any] = {}
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        err = body.get('error')
        if isinstance(err, dict):
            code = err.get('code')
            message = err.get('message')
            inner = err.get('innerError') or err.get('innererror') or {}
            if not isinstance(inner, dict):
                inner = {}
        elif isinstance(err, str):
            # OAuth-style errors (and some gateways) use a plain string.
            code = err
            message = body.get('error_description') or body.get('message')
        elif 'code' in body or 'message' in body:
            code, message = body.get('code'), body.get('message')
    if not message:
        message = ' '.join(text.split())[:300] if text and body is None else (
            getattr(http_response, 'reason', None) or 'no error message in the response')
    if service in ('arm', 'entra'):
        request_id = _header(headers, 'x-ms-request-id') or _header(headers, 'x-ms-correlation-request-id')
        client_request_id = _header(headers, 'x-ms-client-request-id')
    else:
        request_id = inner.get('request-id') or _header(headers, 'request-id')
        client_request_id = inner.get('client-request-id') or _header(headers, 'client-request-id')
    request = getattr(http_response, 'request', None)
    return W365ApiError(status, code, message, request_id=request_id, client_request_id=client_request_id,
                        method=getattr(request, 'method', None), url=getattr(request, 'url', None),
                        service=service, detail=detail)


class W365TaskFailed(W365Error):
    """The task must fail with this message (a refusal or an outcome, not bad input); `result` holds the fields the
    failed result still reports, e.g. the resource as it stands."""

    def __init__(self, message: str, **result: Any) -> None:
        self.result = result
        super().__init__(message)


SERVICE_TITLES = {'graph': 'Microsoft Graph', 'arm': 'Azure Resource Manager', 'entra': 'Microsoft Entra ID'}
_IDEMPOTENT = ('GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS')


def strip_query(url: Optional[str]) -> Optional[str]:
    """The URL without query string or fragment: they may carry secrets or codes."""
    if not url:
        return url
    return str(url).split('?', 1)[0].split('#', 1)[0]


def _innermost(exc):
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, 'inner_exception', None) or exc.__cause__ or exc.__context__
        if inner is None:
            break
        exc = inner
    return exc


def connection_error(service: str, exc: BaseException, method: Optional[str] = None, url: Optional[str] = None,
                     timeout: Optional[float] = None, client_request_id: Optional[str] = None) -> W365ApiError:
    """W365ApiError for a request that got no HTTP answer (refused, dropped, timed out), from azure-core's
    ServiceRequestError / ServiceResponseError. Names service, method and URL (no query) and what to do; the
    library's own text is left out (it quotes the full URL, query included)."""
    title = SERVICE_TITLES.get(service, service)
    inner = _innermost(exc)
    reason = type(inner).__name__
    timed_out = 'timeout' in reason.lower() or 'timed out' in str(inner).lower()
    sent = type(exc).__name__ == 'ServiceResponseError'
    if timed_out:
        code = 'Timeout'
        what = 'no answer from %s within %s s' % (title, _fmt_seconds(timeout)) if timeout else \
            'no answer from %s in time' % title
        todo = 'check the network path (proxy, firewall) to the service, or raise api_timeout'
    elif sent:
        code = 'ConnectionDropped'
        what = 'the connection to %s was dropped before its answer arrived (%s)' % (title, reason)
        todo = 'check the network path (proxy, firewall, TLS inspection) to the service and run the task again'
    else:
        code = 'ConnectionFailed'
        what = 'cannot reach %s (%s)' % (title, reason)
        todo = ('check the endpoint options, DNS, proxy and firewall for this host; nothing was sent, so running '
                'the task again is safe')
    if (method or '').upper() not in _IDEMPOTENT and (sent or timed_out) and method:
        todo += ('. The %s may have been applied before the answer was lost: the next run reads the current state '
                 'before writing, so it does not repeat a write that happened' % method.upper())
    elif method and (sent or timed_out):
        todo += '. The %s was retried within api_retries and api_retry_max_wait' % method.upper()
    return W365ApiError(None, code, '%s; %s' % (what, todo), client_request_id=client_request_id, method=method,
                        url=strip_query(url), service=service)


class W365AuthError(W365Error):
    """Signing in failed: carries the Entra AADSTS code and description, never the credential."""

    def __init__(self, message: str, method: Optional[str] = None, aadsts: Optional[str] = None,
                 error: Optional[str] = None) -> None:
        self.method = method
        self.aadsts = aadsts
        self.error = error
        super().__init__(message)

    def to_dict(self) -> Dict[str, Any]:
        return {'type': type(self).__name__, 'message': str(self), 'auth_method': self.method,
                'aadsts': self.aadsts, 'error': self.error}


class W365ConfigError(W365Error):
    """Bad or missing input, detected before any network call. Names the option to fix."""

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        self.message = message
        # Callers often start the message with the option name already; don't say it twice.
        if option and not str(message).startswith(option):
            text = '%s: %s' % (option, message)
        else:
            text = str(message)
        super().__init__(text)

    def to_dict(self) -> Dict[str, Any]:
        return {'type': type(self).__name__, 'option': self.option, 'message': str(self)}


class W365WaitTimeout(W365Error):
    """A long operation did not reach its goal in time; `last` is the last value seen."""

    # What the user can do about it; W365Module.fail_from_exception appends it to the message.
    hint = 'the operation goes on in the service: run the task again to resume waiting, or raise wait_timeout'

    def __init__(self, what: str, timeout: float, last: Any = None, hint: Optional[str] = None) -> None:
        self.what = what
        self.timeout = timeout
        self.last = last
        if hint:
            self.hint = hint
        super().__init__('timed out after %s s waiting for %s' % (_fmt_seconds(timeout), what))

    def to_dict(self) -> Dict[str, Any]:
        return {'type': type(self).__name__, 'message': str(self), 'timeout': self.timeout}


def _fmt_seconds(value):
    if float(value).is_integer():
        return '%d' % value
    return '%.1f' % value
