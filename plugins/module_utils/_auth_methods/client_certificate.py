# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods._base import AuthMethod
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError


class ClientCertificate(AuthMethod):
    name = 'client_certificate'
    required = ('tenant_id', 'client_id', 'client_certificate_path')
    triggers = ('client_certificate_path',)

    def credential(self) -> Any:
        from azure.identity import CertificateCredential
        password = self.inputs.get('client_certificate_password')
        kwargs = self.common_kwargs()
        if password:
            kwargs['password'] = password.encode('utf-8')
        try:
            return CertificateCredential(self.inputs['tenant_id'], self.inputs['client_id'],
                                         certificate_path=self.inputs['client_certificate_path'], **kwargs)
        except (ValueError, TypeError) as e:
            # cryptography's messages name the problem (bad password, no key) and never echo the password.
            # `from None`: the chained original holds the key bytes in its frames.
            option = 'client_certificate_password' if 'password' in str(e).lower() else 'client_certificate_path'
            raise W365ConfigError(option, 'cannot load the certificate and private key from %s: %s' % (
                self.inputs['client_certificate_path'], ' '.join(str(e).split()))) from None
