# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small Microsoft Graph client on azure-core alone (no Graph SDK: it would cost seconds of import per task)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import os
import uuid
from urllib.parse import quote, urlencode

from ansible_collections.w365.cloudpc.plugins.module_utils._errors import (
    W365ApiError, W365AuthError, connection_error, error_from_response, redact_url)
from ansible_collections.w365.cloudpc.plugins.module_utils._retry import RetrySettings

USER_AGENT = 'w365.cloudpc-ansible'
# A runaway nextLink chain means a service bug; stop long before memory does.
MAX_PAGES = 1000


# The requests.Session of this process, by pid (see shared_session).
_SESSIONS: dict = {}


def shared_session() -> Any:
    """The one requests.Session of this process: Graph, ARM and token requests share its connection pools.

    A task's requests then reuse one HTTPS connection per host, and so do the items of a loop (one worker runs them
    all). Keyed by process id: an Ansible worker is a fork of the controller, and a forked child must never write to
    its parent's sockets, so a child starts a session of its own and drops the inherited ones (closing an inherited
    descriptor in the child leaves the parent's connection open). Set up as azure-core sets up its own sessions
    (its adapters, urllib3's retries off: the pipeline's retry policy decides; proxies from the environment).
    """
    session = _SESSIONS.get(os.getpid())
    if session is None:
        from azure.core.pipeline.transport import RequestsTransport

        _SESSIONS.clear()
        template = RequestsTransport()
        template.open()
        session = _SESSIONS[os.getpid()] = template.session
    return session


def shared_transport(ca_bundle: Any = None, retry: Any = None) -> Any:
    """An azure-core RequestsTransport on `shared_session()` with this client's TLS trust and timeouts; closing it
    leaves the session open for the next client of the process."""
    from azure.core.pipeline.transport import RequestsTransport

    kwargs = (retry or RetrySettings()).transport_kwargs()
    if ca_bundle:
        kwargs['connection_verify'] = ca_bundle
    return RequestsTransport(session=shared_session(), session_owner=False, **kwargs)


def odata_quote(value: Any) -> str:
    """A string literal for $filter: single quotes doubled, as OData requires."""
    return "'%s'" % str(value).replace("'", "''")


class RestClient(object):
    """JSON over one azure-core pipeline: token policy for one audience, the bounded retry policy, errors as
    W365ApiError. GraphClient and _arm.ArmRestClient are thin subclasses (same transport, different root)."""

    service: str | None = None
    service_title: str | None = None
    # The header each service echoes back to tie its logs to this request.
    client_request_id_header = 'client-request-id'
    request_id_header = 'request-id'

    def __init__(self, credential: Any, base_url: str, scope: str, ca_bundle: Any = None, retry: Any = None) -> None:
        from azure.core import PipelineClient
        from azure.core.pipeline.policies import (
            BearerTokenCredentialPolicy, ContentDecodePolicy, HeadersPolicy, UserAgentPolicy)
        self.base_url = base_url.rstrip('/')
        self.retry = retry or RetrySettings()
        # W365Module's credential carries the key it is kept under in this process (_token_cache).
        self.credential_key = getattr(credential, 'cache_key', None)
        policies = [
            HeadersPolicy({'Accept': 'application/json'}),
            UserAgentPolicy(base_user_agent=USER_AGENT),
            ContentDecodePolicy(),
            # Retry wraps the token policy so a retried request gets a valid token.
            self.retry.policy(self.service),
            BearerTokenCredentialPolicy(credential, scope),
        ]
        self._client: Any = PipelineClient(base_url=base_url, policies=policies,
                                           transport=shared_transport(ca_bundle, self.retry))

    def _join(self, path, params):
        url = path if path.startswith('https://') else '%s/%s' % (self.base_url, path.lstrip('/'))
        if params:
            query = urlencode([(k, v) for k, v in params.items() if v is not None], quote_via=quote, safe="$,'()")
            url = '%s%s%s' % (url, '&' if '?' in url else '?', query)
        return url

    def _send(self, method, url, body=None, headers=None):
        """Send one request; returns the parsed JSON body (None when empty). Raises W365ApiError on non-2xx."""
        from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError, ServiceResponseError
        from azure.core.rest import HttpRequest

        client_request_id = str(uuid.uuid4())
        request_headers = {self.client_request_id_header: client_request_id}
        if headers:
            request_headers.update(headers)
        kwargs = {'headers': request_headers}
        if body is not None:
            kwargs['json'] = body
        request = HttpRequest(method, url, **kwargs)
        try:
            response = self._client.send_request(request)
        except ClientAuthenticationError as e:
            raise W365AuthError('sign-in failed: %s' % ' '.join(str(getattr(e, 'message', e)).split())) from None
        except (ServiceRequestError, ServiceResponseError) as e:
            raise connection_error(self.service, e, method, url, self.retry.timeout, client_request_id) from None
        if not 200 <= response.status_code < 300:
            if response.status_code == 401:
                # The service refused the token: the next module run of this process must not reuse it.
                from ansible_collections.w365.cloudpc.plugins.module_utils._token_cache import forget_credential
                forget_credential(self.credential_key)
            raise error_from_response(response, self.service)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise W365ApiError(response.status_code, 'InvalidResponse', '%s answered with a body that is not JSON'
                               % self.service_title, request_id=response.headers.get(self.request_id_header),
                               method=method, url=url, service=self.service) from None

    def close(self) -> None:
        self._client.close()


class GraphClient(RestClient):
    """Relative paths (`deviceManagement/virtualEndpoint/onPremisesConnections`) under `{graph}/{version}/`.

    Every non-2xx answer raises W365ApiError; retries and their bounds come from `retry` (RetrySettings).
    """

    service = 'graph'
    service_title = 'Microsoft Graph'

    def __init__(self, credential: Any, endpoints: Any, ca_bundle: Any = None, retry: Any = None) -> None:
        self.endpoints = endpoints
        super(GraphClient, self).__init__(credential, endpoints.graph_endpoint, endpoints.graph_scope, ca_bundle,
                                          retry)

    def url(self, path: str, params: Optional[Dict[str, Any]] = None, version: str = 'v1.0') -> str:
        if not path.startswith('https://'):
            path = '%s/%s' % (version, path.lstrip('/'))
        return self._join(path, params)

    def request(self, method: str, path: str, params: Optional[Dict[str, Any]] = None, body: Any = None, version: str = 'v1.0', headers: Any = None) -> Any:
        """Send one request; returns the parsed JSON body (None when empty). Raises W365ApiError on non-2xx."""
        return self._send(method, self.url(path, params, version), body=body, headers=headers)

    def get(self, path: str, params: Optional[Dict[str, Any]] = None, version: str = 'v1.0', headers: Any = None) -> Any:
        return self.request('GET', path, params=params, version=version, headers=headers)

    def get_or_none(self, path: str, params: Optional[Dict[str, Any]] = None, version: str = 'v1.0', headers: Any = None) -> Any:
        """GET, but a 404 means "not there" and returns None."""
        try:
            return self.get(path, params=params, version=version, headers=headers)
        except W365ApiError as e:
            if e.status == 404:
                return None
            raise

    def list(self, path: str, params: Optional[Dict[str, Any]] = None, version: str = 'v1.0', headers: Any = None) -> List[Any]:
        """Every item of a collection, following `@odata.nextLink` unchanged until it is absent."""
        items: List[Any] = []
        page = self.get(path, params=params, version=version, headers=headers)
        seen = set()
        pages = 1
        while True:
            items.extend((page or {}).get('value') or [])
            next_link = (page or {}).get('@odata.nextLink')
            if not next_link:
                return items
            if next_link in seen or pages >= MAX_PAGES:
                raise W365ApiError(None, 'PagingLoop', 'Microsoft Graph paging did not end (nextLink %s repeated or '
                                   'more than %d pages)' % (redact_url(next_link), MAX_PAGES), method='GET',
                                   url=next_link, service='graph')
            seen.add(next_link)
            pages += 1
            page = self.get(next_link, headers=headers)

    def post(self, path: str, body: Any = None, version: str = 'v1.0', headers: Any = None) -> Any:
        return self.request('POST', path, body=body, version=version, headers=headers)

    def patch(self, path: str, body: Any, version: str = 'v1.0', headers: Any = None) -> Any:
        return self.request('PATCH', path, body=body, version=version, headers=headers)

    def delete(self, path: str, version: str = 'v1.0', headers: Any = None) -> Any:
        return self.request('DELETE', path, version=version, headers=headers)
