# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Assertions shared by the emulator checks: status, schema, error envelope, request ids, no secrets."""

from __future__ import annotations

from urllib.parse import urlsplit

from . import specs
from .sandbox import SECRETS, Reply


def _path(reply: Reply) -> str:
    return urlsplit(reply.url).path


def no_secrets(reply: Reply) -> None:
    for secret in SECRETS:
        assert secret not in reply.text, f'a seeded secret appears in the response to {reply.url}'
    if reply.text.strip():
        # The descriptions declare application/json bodies; clients pick their deserializer by this header.
        content_type = {k.lower(): v for k, v in reply.headers.items()}.get('content-type', '')
        assert content_type.lower().startswith('application/json'), f'Content-Type {content_type!r}: {reply}'


def graph_ok(reply: Reply, method: str, status: int, request_body=None):
    """A successful Graph reply: the expected status, valid against the operation's schema."""
    assert reply.status == status, reply
    if request_body is not None:
        specs.validate_graph_request(_path(reply), method, request_body)
    specs.validate_graph(_path(reply), method, reply.status, reply.body)
    no_secrets(reply)
    return reply.body


def graph_error(reply: Reply, method: str, status: int, code: str | None = None, path: str | None = None):
    """A Graph error: the status, the ODataError schema, and innerError.request-id equal to the header."""
    assert reply.status == status, reply
    specs.validate_graph(path or _path(reply), method, reply.status, reply.body)
    error = reply.body['error']
    if code is not None:
        assert error['code'] == code, reply
    assert error['message'], reply
    inner = error.get('innerError') or {}
    assert inner.get('request-id'), f'no innerError.request-id: {reply}'
    header = {k.lower(): v for k, v in reply.headers.items()}.get('request-id')
    assert header == inner['request-id'], f'request-id header {header!r} differs from the body: {reply}'
    no_secrets(reply)
    return error


def arm_ok(reply: Reply, spec_name: str, operation_id: str, status: int, request_body=None):
    assert reply.status == status, reply
    if request_body is not None:
        specs.validate_arm_request(spec_name, operation_id, request_body)
    specs.validate_arm(spec_name, operation_id, reply.status, reply.body)
    no_secrets(reply)
    return reply.body


def arm_error(reply: Reply, spec_name: str, operation_id: str, status: int, code: str | None = None):
    assert reply.status == status, reply
    specs.validate_arm(spec_name, operation_id, reply.status, reply.body)
    if code is not None:
        assert reply.body['error']['code'] == code, reply
    headers = {k.lower() for k in reply.headers}
    assert 'x-ms-request-id' in headers, f'no x-ms-request-id header: {reply}'
    no_secrets(reply)
    return reply.body['error']
