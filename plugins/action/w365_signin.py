# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for w365.cloudpc.w365_signin: the one-time interactive device-code sign-in of a tenant.

It runs on the controller, not as a module, because a module cannot print while it runs: the code and the URL
must reach the operator's terminal (or the AWX job output) while the task waits for the sign-in.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.w365.cloudpc.plugins.module_utils._auth import auth_method_for
from ansible_collections.w365.cloudpc.plugins.module_utils._clouds import CLOUD_NAMES, resolve_endpoints
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365Error
from ansible_collections.w365.cloudpc.plugins.module_utils._signin_checks import decode_claims, describe

display = Display()

ARGUMENT_SPEC = dict(
    tenant_id=dict(type='str', required=True),
    client_id=dict(type='str'),
    cloud=dict(type='str', default='public', choices=list(CLOUD_NAMES)),
    authority_host=dict(type='str'),
    graph_endpoint=dict(type='str'),
    arm_endpoint=dict(type='str'),
    ca_bundle=dict(type='path'),
    token_cache_allow_unencrypted=dict(type='bool', default=False),
    timeout=dict(type='int', default=900),
    force=dict(type='bool', default=False),
)
# Sign-in options of the action group that mean nothing here (module_defaults hand them to every member).
IGNORED = ('auth_method', 'client_secret', 'client_certificate_path', 'client_certificate_password',
           'federated_token_file', 'username', 'password', 'token_cache', 'api_retries', 'api_retry_max_wait',
           'api_timeout', 'subscription_id',
           # cloud=gcc: the device-code sign-in is the commercial GCC tenant's; the Azure Government tenant's own
           # sign-in (gov_auth) is not interactive here. allow_unsupported_cloud is honoured below.
           'gov_auth', 'allow_unsupported_cloud')


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
        args = {k: v for k, v in self._task.args.items() if k not in IGNORED}
        validated = ArgumentSpecValidator(ARGUMENT_SPEC).validate(args)
        if validated.error_messages:
            raise AnsibleActionFail('w365_signin: %s' % '; '.join(validated.error_messages))
        params = dict(validated.validated_parameters, auth_method='device_code')
        try:
            endpoints = resolve_endpoints(params['cloud'], params.get('authority_host'), params.get('graph_endpoint'),
                                          params.get('arm_endpoint'),
                                          allow_unsupported=bool(self._task.args.get('allow_unsupported_cloud')))
            method = auth_method_for(params, endpoints, params.get('ca_bundle'), interactive=True)
        except W365Error as e:
            raise AnsibleActionFail('w365_signin: %s' % e)
        result.update(tenant_id=params['tenant_id'], client_id=method.client_id, record_file=method.record_file)
        if not params['force']:
            current = self._silent(method)
            if current is not None:
                result.update(changed=False, signed_in=True, msg='already signed in; later tasks sign in silently',
                              **current)
                return result
        if self._task.check_mode:
            result.update(changed=True, signed_in=False, msg='an interactive sign-in is needed (not run in check mode)')
            return result

        def prompt(verification_uri, user_code, expires_on):
            display.display('\n[w365_signin] Tenant %s: to sign in, open %s and enter the code %s (valid until %s '
                            'UTC). Sign in with the account that will run the rollout, with MFA.\n'
                            % (params['tenant_id'], verification_uri, user_code,
                               expires_on.strftime('%H:%M:%S') if hasattr(expires_on, 'strftime') else expires_on),
                            color='bright blue', screen_only=False)

        from azure.core.exceptions import ClientAuthenticationError
        from ansible_collections.w365.cloudpc.plugins.module_utils._auth import auth_error
        try:
            summary = method.sign_in(prompt, timeout=params['timeout'])
        except ClientAuthenticationError as e:
            err = auth_error(e, 'device_code', (), params['tenant_id'])
            raise AnsibleActionFail('w365_signin: %s' % err, result=dict(error=err.to_dict()))
        except W365Error as e:
            raise AnsibleActionFail('w365_signin: %s' % e, result=dict(error=e.to_dict()))
        tokens = summary.pop('tokens')
        result.update(changed=True, signed_in=True, msg='signed in; later tasks with auth_method=device_code sign in '
                                                        'silently', username=summary['username'],
                      claims={api: describe(decode_claims(t)) for api, t in tokens.items()})
        return result

    @staticmethod
    def _silent(method):
        """Claims summary when a stored sign-in still gives tokens without the user, else None."""
        import os
        from azure.core.exceptions import ClientAuthenticationError
        if not os.path.isfile(method.record_file):
            return None
        try:
            cred = method.credential()
            tokens = {'graph': cred.get_token(method.endpoints.graph_scope).token}
            if method.inputs.get('client_id'):
                tokens['arm'] = cred.get_token(method.endpoints.arm_scope).token
        except (ClientAuthenticationError, W365Error):
            return None
        return {'username': describe(decode_claims(tokens['graph']))['user'],
                'claims': {api: describe(decode_claims(t)) for api, t in tokens.items()}}
