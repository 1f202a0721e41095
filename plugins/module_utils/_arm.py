# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure Resource Manager: `ArmRestClient` (plain REST on azure-core, every read) and the one SDK client left,
azure-mgmt-authorization for role-assignment writes, imported only by its factory (~160 ms)."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from ansible_collections.w365.cloudpc.plugins.module_utils._errors import (
    W365ApiError, connection_error, error_from_response)
from ansible_collections.w365.cloudpc.plugins.module_utils import _graph
from ansible_collections.w365.cloudpc.plugins.module_utils._graph import RestClient
from ansible_collections.w365.cloudpc.plugins.module_utils._retry import RetrySettings


def _client_kwargs(endpoints, ca_bundle, retry):
    # base_url and credential_scopes by keyword: authorization 4.0's third positional argument is api_version,
    # and without credential_scopes every client asks for the public-cloud ARM audience.
    retry = retry or RetrySettings()
    kwargs = dict(retry.transport_kwargs(), base_url=endpoints.arm_endpoint, credential_scopes=[endpoints.arm_scope],
                  retry_policy=retry.policy('arm'), user_agent='w365.cloudpc-ansible')
    if ca_bundle:
        kwargs['connection_verify'] = ca_bundle
    # The process's shared HTTPS connections (_graph.shared_session), as every other client here.
    kwargs['transport'] = _graph.shared_transport(ca_bundle, retry)
    return kwargs


def authorization_client(credential: Any, subscription_id: str, endpoints: Any, ca_bundle: Any = None, retry: Any = None) -> Any:
    from azure.mgmt.authorization import AuthorizationManagementClient
    return AuthorizationManagementClient(credential, subscription_id, **_client_kwargs(endpoints, ca_bundle, retry))


def arm_error(exc: BaseException) -> W365ApiError:
    """W365ApiError from azure-core's HttpResponseError (or a transport error)."""
    from azure.core.exceptions import HttpResponseError
    if isinstance(exc, HttpResponseError) and getattr(exc, 'response', None) is not None:
        return error_from_response(exc.response, 'arm')
    error = getattr(exc, 'error', None)
    return W365ApiError(getattr(exc, 'status_code', None), getattr(error, 'code', None) or type(exc).__name__,
                        getattr(error, 'message', None) or ' '.join(str(getattr(exc, 'message', exc)).split()),
                        service='arm')


def arm_call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call an SDK operation; service and transport errors become W365ApiError (sign-in errors W365AuthError)."""
    from azure.core.exceptions import (
        ClientAuthenticationError, HttpResponseError, ServiceRequestError, ServiceResponseError)
    try:
        return fn(*args, **kwargs)
    except ClientAuthenticationError as e:
        if getattr(e, 'response', None) is not None:
            # An HTTP 401 from ARM itself (wrong audience or tenant), not a failed sign-in.
            raise arm_error(e) from None
        from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365AuthError
        raise W365AuthError('sign-in failed: %s' % ' '.join(str(getattr(e, 'message', e)).split())) from None
    except HttpResponseError as e:
        raise arm_error(e) from None
    except (ServiceRequestError, ServiceResponseError) as e:
        raise connection_error('arm', e) from None


def arm_list(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Exhaust an SDK pager inside arm_call, so paging errors are converted too."""
    return arm_call(lambda: list(fn(*args, **kwargs)))


class _ArmRest(RestClient):
    service = 'arm'
    service_title = 'Azure Resource Manager'
    client_request_id_header = 'x-ms-client-request-id'
    request_id_header = 'x-ms-request-id'


class ArmRestClient(object):
    """Plain ARM REST reads on azure-core alone (the GraphClient stack, ARM root and audience).

    For converged-path reads that need no SDK model: importing an azure-mgmt package and building its client costs
    a task 60-90 modules (azure.mgmt.core pulls in asyncio) before the first request. One per task, for every
    subscription: paths carry the subscription.
    """

    def __init__(self, credential: Any, endpoints: Any, ca_bundle: Any = None, retry: Any = None) -> None:
        self._rest = _ArmRest(credential, endpoints.arm_endpoint, endpoints.arm_scope, ca_bundle, retry)

    def url(self, path: str, api_version: str, params: Optional[Dict[str, Any]] = None) -> str:
        """`api_version` None: the path (a nextLink, say) already carries it."""
        query = dict(params or {})
        if api_version and 'api-version=' not in path:
            query['api-version'] = api_version
        return self._rest._join(path, query)

    def get(self, path: str, api_version: str, params: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """JSON at `path` (`/subscriptions/...`). Non-2xx raises W365ApiError."""
        return self._rest._send('GET', self.url(path, api_version, params))

    def get_or_none(self, path: str, api_version: str, params: Optional[Dict[str, Any]] = None) -> Optional[Dict[str, Any]]:
        try:
            return self.get(path, api_version, params)
        except W365ApiError as e:
            if e.status == 404:
                return None
            raise

    def list(self, path: str, api_version: str, params: Optional[Dict[str, Any]] = None) -> List[Any]:
        """Every item of a list, following `nextLink` (which already carries the query) until it is absent."""
        items: List[Any] = []
        page = self.get(path, api_version, params)
        seen = set()
        while True:
            items.extend((page or {}).get('value') or [])
            next_link = (page or {}).get('nextLink')
            if not next_link:
                return items
            if next_link in seen:
                raise W365ApiError(None, 'PagingLoop', 'Azure Resource Manager paging repeated a nextLink',
                                   method='GET', service='arm')
            seen.add(next_link)
            page = self._rest._send('GET', next_link)

    def close(self) -> None:
        self._rest.close()
