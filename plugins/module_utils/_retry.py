# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one retry policy for Graph, ARM and the token endpoint: bounded in attempts AND in total waiting, a final
429/5xx raises; the request timeout; the one backoff formula; and their defaults, written once here.

azure-core's RetryPolicy honours Retry-After without any cap and hands the last 429/5xx back as a result; this
policy stops when the next wait would pass `api_retry_max_wait` and raises W365ApiError instead.

What is retried: 429 and 503 always (the service did not process the request); 500, 502, 504 and a connection
that dropped after the request was sent only for idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS): a POST or
PATCH may have been applied, so it is not repeated blindly. A connection that could not be opened is retried for
every method (nothing was sent).
"""

from __future__ import annotations

import random
from typing import Any, Dict, Mapping, NamedTuple, Optional

from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError, error_from_response

# Option defaults (doc fragment w365.cloudpc.auth says the same numbers; a unit test holds them together).
DEFAULT_API_RETRIES = 4
DEFAULT_API_RETRY_MAX_WAIT = 120
DEFAULT_API_TIMEOUT = 60

# Statuses worth retrying. POST/PATCH are not idempotent: a 500/502/504 may hide a write that happened, so they are
# retried only on 429 (throttled, not processed) and 503 (not processed).
RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
RETRY_STATUSES_NON_IDEMPOTENT = frozenset((429, 503))
IDEMPOTENT_METHODS = frozenset(('GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'))


class RetrySettings(NamedTuple):
    """`max_attempts` counts the first try (api_retries + 1); `max_total_wait` bounds all waits of one request."""

    max_attempts: int = DEFAULT_API_RETRIES + 1
    max_total_wait: float = float(DEFAULT_API_RETRY_MAX_WAIT)
    backoff_factor: float = 0.8
    max_backoff: float = 30.0
    # Seconds to open a connection, and seconds to wait for data on it, per request (option api_timeout).
    timeout: float = float(DEFAULT_API_TIMEOUT)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> RetrySettings:
        retries = params.get('api_retries')
        max_wait = params.get('api_retry_max_wait')
        timeout = params.get('api_timeout')
        retries = DEFAULT_API_RETRIES if retries is None else retries
        max_wait = DEFAULT_API_RETRY_MAX_WAIT if max_wait is None else max_wait
        timeout = DEFAULT_API_TIMEOUT if timeout is None else timeout
        if retries < 0:
            raise W365ConfigError('api_retries', 'must be 0 or more, got %s' % retries)
        if max_wait < 0:
            raise W365ConfigError('api_retry_max_wait', 'must be 0 or more seconds, got %s' % max_wait)
        if timeout <= 0:
            raise W365ConfigError('api_timeout', 'must be more than 0 seconds, got %s' % timeout)
        return cls(max_attempts=retries + 1, max_total_wait=float(max_wait), timeout=float(timeout))

    def policy(self, service: Optional[str]) -> Any:
        return bounded_retry_policy(self, service)

    def transport_kwargs(self) -> Dict[str, float]:
        """Timeouts for an azure-core RequestsTransport (connection and read, both bounded)."""
        return {'connection_timeout': self.timeout, 'read_timeout': self.timeout}

    def identity_kwargs(self) -> Dict[str, Any]:
        """For azure-identity credentials: the same timeouts and this retry policy on the token endpoint.

        azure-identity builds its pipeline with `retry_policy_class(**kwargs)`; the factory ignores the kwargs.
        """
        settings = self

        def retry_policy_class(**_kwargs):
            return settings.policy('entra')
        return dict(self.transport_kwargs(), retry_policy_class=retry_policy_class)


def backoff(first: float, number: int, ceiling: float) -> float:
    """The one backoff formula: `first` doubled per step (`number` 1 = first), never above `ceiling`."""
    return min(ceiling, first * (2 ** (number - 1)))


def backoff_delay(settings: RetrySettings, retry_number: int, rng: Any = random) -> float:
    """Retry pause: the backoff with "equal jitter" (half fixed, half random), so parallel runs spread out."""
    ceiling = backoff(settings.backoff_factor, retry_number, settings.max_backoff)
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def should_retry(method: str, status: Optional[int]) -> bool:
    if method.upper() in IDEMPOTENT_METHODS:
        return status in RETRY_STATUSES
    return status in RETRY_STATUSES_NON_IDEMPOTENT


def bounded_retry_policy(settings: RetrySettings, service: Optional[str]) -> Any:
    """Build the azure-core policy. Imported lazily: sanity import tests run without azure-core."""
    from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError, ServiceResponseError
    from azure.core.pipeline.policies import RetryPolicy

    class BoundedRetryPolicy(RetryPolicy):
        def __init__(self):
            super(BoundedRetryPolicy, self).__init__(retry_total=settings.max_attempts - 1)
            self.settings = settings
            self.service = service

        def send(self, request):
            transport = request.context.transport
            method = request.http_request.method.upper()
            options = self.configure_retries(request.context.options)
            self._configure_positions(request, options)
            waited = 0.0
            attempt = 0
            while True:
                attempt += 1
                request.context['retry_count'] = attempt - 1
                try:
                    response = self.next.send(request)
                except ClientAuthenticationError:
                    raise
                except (ServiceRequestError, ServiceResponseError) as err:
                    # A request that never reached the service is safe to repeat; one whose answer was lost is
                    # safe only if the method is idempotent.
                    if isinstance(err, ServiceResponseError) and method not in IDEMPOTENT_METHODS:
                        raise
                    delay = backoff_delay(self.settings, attempt)
                    if attempt >= self.settings.max_attempts or waited + delay > self.settings.max_total_wait:
                        raise
                    self._rewind(request, options)
                    transport.sleep(delay)
                    waited += delay
                    continue
                status = response.http_response.status_code
                if not should_retry(method, status):
                    return response
                retry_after = self.get_retry_after(response)
                delay = retry_after if retry_after is not None else backoff_delay(self.settings, attempt)
                if attempt >= self.settings.max_attempts:
                    raise self._give_up(response, attempt, waited, 'no retries left (api_retries=%d)' % (
                        self.settings.max_attempts - 1))
                if waited + delay > self.settings.max_total_wait:
                    raise self._give_up(response, attempt, waited, 'waiting %.1f s more would pass '
                                                                   'api_retry_max_wait=%g s' % (
                                                                       delay, self.settings.max_total_wait))
                self._rewind(request, options)
                transport.sleep(delay)
                waited += delay

        @staticmethod
        def _rewind(request, options):
            body = request.http_request.body
            if body is not None and hasattr(body, 'seek') and 'body_position' in options:
                body.seek(options['body_position'])

        def _give_up(self, response, attempts, waited, why):
            detail = 'gave up after %d attempt%s and %.1f s of waiting: %s' % (
                attempts, '' if attempts == 1 else 's', waited, why)
            return error_from_response(response.http_response, self.service, detail=detail)

    return BoundedRetryPolicy()
