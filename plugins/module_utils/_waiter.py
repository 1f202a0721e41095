# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one wait helper for long operations (health checks, image uploads, role replication)."""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError, W365WaitTimeout
from ansible_collections.w365.cloudpc.plugins.module_utils._retry import backoff


def wait_until(fetch: Callable[[], Any], done: Callable[[Any], bool], timeout: float, interval: float, what: str,
               sleep: Callable[[float], Any] = time.sleep, clock: Callable[[], float] = time.monotonic,
               first_interval: Optional[float] = None) -> Any:
    """Call `fetch()` until `done(value)` is true; return that value.

    Fetches once at once, then every `interval` seconds, and once more at the deadline, so a short timeout still
    sees the final state. With `first_interval`, the pauses start there and double up to `interval`: quick
    operations are seen finished quickly, long ones are not polled more often than `interval`.
    Raises W365WaitTimeout (with `.last`, the last value) when `timeout` passes.
    `fetch` errors propagate unchanged. Tests pass small intervals together with the sandbox's --time-scale.
    """
    if timeout is None or timeout < 0:
        raise W365ConfigError('wait_timeout', 'must be 0 or more seconds, got %r' % (timeout,))
    if interval is None or interval <= 0:
        raise W365ConfigError('interval', 'the poll interval must be more than 0 seconds, got %r' % (interval,))
    deadline = clock() + timeout
    polls = 0
    value = fetch()
    while not done(value):
        remaining = deadline - clock()
        if remaining <= 0:
            raise W365WaitTimeout(what, timeout, last=value)
        polls += 1
        pause = backoff(first_interval, polls, interval) if first_interval else interval
        sleep(min(pause, remaining))
        value = fetch()
    return value
