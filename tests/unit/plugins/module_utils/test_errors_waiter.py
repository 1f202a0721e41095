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
