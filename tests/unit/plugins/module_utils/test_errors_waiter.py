# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Error text and the wait helper: pure logic (the network paths are in test_client_sandbox.py)."""
from __future__ import annotations

import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils._errors import (
    W365ApiError, W365ConfigError, W365WaitTimeout, redact_url)
from ansible_collections.w365.cloudpc.plugins.module_utils._waiter import wait_until


def test_api_error_line_and_dict():
    e = W365ApiError(403, 'AuthorizationFailed', 'The client does not have authorization\n to perform action.',
                     request_id='r-1', client_request_id='c-1', method='GET',
                     url='https://management.azure.com/subscriptions/x?api-version=1', service='arm')
    line = str(e)
    assert '\n' not in line
    assert line.startswith('HTTP 403 AuthorizationFailed: The client does not have authorization to perform action.')
    assert 'request id r-1' in line and 'client request id c-1' in line
    d = e.to_dict()
    assert d['status'] == 403 and d['code'] == 'AuthorizationFailed' and d['request_id'] == 'r-1'
    assert d['service'] == 'arm'


def test_api_error_redacts_secret_query():
    e = W365ApiError(400, 'x', 'm', method='POST', url='https://h/p?client_secret=abc&x=1&password=pw')
    assert 'abc' not in str(e) and 'pw' not in str(e) and 'x=1' in str(e)
    assert redact_url('https://h/?sig=zzz') == 'https://h/?sig=***'


def test_config_error_does_not_repeat_option():
    assert str(W365ConfigError('anc_limit', 'anc_limit must be at least 1')) == 'anc_limit must be at least 1'
    assert str(W365ConfigError('anc_limit', 'must be at least 1')) == 'anc_limit: must be at least 1'


class FakeClock(object):
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_returns_first_done_value():
    clock = FakeClock()
    values = iter(['pending', 'running', 'passed'])
    result = wait_until(lambda: next(values), lambda v: v == 'passed', timeout=100, interval=10, what='checks',
                        sleep=clock.sleep, clock=clock.clock)
    assert result == 'passed' and clock.sleeps == [10, 10]


def test_wait_timeout_carries_last_value_and_checks_at_deadline():
    clock = FakeClock()
    calls = []

    def fetch():
        calls.append(clock.now)
        return {'status': 'running', 'at': clock.now}

    with pytest.raises(W365WaitTimeout) as e:
        wait_until(fetch, lambda v: False, timeout=25, interval=10, what='health checks of anc-1',
                   sleep=clock.sleep, clock=clock.clock)
    assert calls == [0, 10, 20, 25]
    assert e.value.last == {'status': 'running', 'at': 25}
    assert 'health checks of anc-1' in str(e.value) and '25 s' in str(e.value)


def test_wait_zero_timeout_fetches_once():
    clock = FakeClock()
    with pytest.raises(W365WaitTimeout):
        wait_until(lambda: 1, lambda v: False, timeout=0, interval=5, what='x', sleep=clock.sleep, clock=clock.clock)
    assert clock.sleeps == []


@pytest.mark.parametrize('timeout,interval', [(-1, 1), (10, 0), (None, 1)])
def test_wait_rejects_bad_bounds(timeout, interval):
    with pytest.raises(W365ConfigError):
        wait_until(lambda: 1, lambda v: True, timeout=timeout, interval=interval, what='x')


class Resp(object):
    """The duck type error_from_response reads (status_code, headers, text(), request.method/url, reason)."""

    def __init__(self, status, body, headers=None, reason='Reason'):
        self.status_code = status
        self.headers = headers or {}
        self._body = body
        self.reason = reason
        self.request = type('Req', (), {'method': 'PATCH', 'url': 'https://graph.example/v1.0/x?password=pw'})()

    def text(self):
        return self._body


def test_graph_error_body_and_inner_request_id():
    from ansible_collections.w365.cloudpc.plugins.module_utils._errors import error_from_response
    body = ('{"error": {"code": "badRequest", "message": "Cannot process request",'
            ' "innerError": {"request-id": "in-1", "client-request-id": "c-1", "date": "2026-01-01T00:00:00Z"}}}')
    err = error_from_response(Resp(400, body, {'request-id': 'hdr-1'}), 'graph')
    assert (err.status, err.code, err.message, err.request_id, err.client_request_id) == (
        400, 'badRequest', 'Cannot process request', 'in-1', 'c-1')
    assert err.method == 'PATCH' and 'pw' not in err.url


def test_graph_error_request_id_from_header_when_no_inner_error():
    from ansible_collections.w365.cloudpc.plugins.module_utils._errors import error_from_response
    err = error_from_response(Resp(503, '{"error": {"code": "UnknownError", "message": ""}}',
                                   {'Request-Id': 'hdr-2'}, reason='Service Unavailable'), 'graph')
    assert err.request_id == 'hdr-2' and err.message == 'Service Unavailable'


def test_arm_error_uses_ms_request_id():
    from ansible_collections.w365.cloudpc.plugins.module_utils._errors import error_from_response
    err = error_from_response(Resp(409, '{"error": {"code": "RoleAssignmentExists", "message": "exists"}}',
                                   {'x-ms-request-id': 'arm-1', 'x-ms-client-request-id': 'cl-1'}), 'arm')
    assert (err.code, err.request_id, err.client_request_id, err.service) == (
        'RoleAssignmentExists', 'arm-1', 'cl-1', 'arm')


def test_non_json_and_oauth_style_bodies():
    from ansible_collections.w365.cloudpc.plugins.module_utils._errors import error_from_response
    err = error_from_response(Resp(502, '<html>Bad gateway\n from proxy</html>'), 'graph')
    assert err.code is None and err.message == '<html>Bad gateway from proxy</html>'
    assert str(err).startswith('HTTP 502: <html>Bad gateway from proxy</html>')
    err = error_from_response(Resp(401, '{"error": "invalid_token", "error_description": "expired"}'), 'graph')
    assert (err.code, err.message) == ('invalid_token', 'expired')
    err = error_from_response(Resp(500, ''), 'arm')
    assert err.message == 'Reason'


def test_wait_until_backs_off_from_the_first_interval_to_the_interval():
    from ansible_collections.w365.cloudpc.plugins.module_utils._waiter import wait_until

    now = [0.0]
    pauses = []
    values = iter(range(10))

    def sleep(seconds):
        pauses.append(seconds)
        now[0] += seconds

    result = wait_until(lambda: next(values), lambda v: v == 6, timeout=1000, interval=30, what='x',
                        sleep=sleep, clock=lambda: now[0], first_interval=1.0)
    assert result == 6
    assert pauses == [1.0, 2.0, 4.0, 8.0, 16.0, 30]
