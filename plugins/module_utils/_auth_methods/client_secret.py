# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods._base import AuthMethod


class ClientSecret(AuthMethod):
    name = 'client_secret'
    required = ('tenant_id', 'client_id', 'client_secret')
    triggers = ('client_secret',)

    def credential(self) -> Any:
        from azure.identity import ClientSecretCredential
        return ClientSecretCredential(self.inputs['tenant_id'], self.inputs['client_id'], self.inputs['client_secret'],
                                      **self.common_kwargs())
