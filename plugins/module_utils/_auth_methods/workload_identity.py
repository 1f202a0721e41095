# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods._base import AuthMethod


class WorkloadIdentity(AuthMethod):
    name = 'workload_identity'
    required = ('tenant_id', 'client_id', 'federated_token_file')
    triggers = ('federated_token_file',)

    def credential(self) -> Any:
        from azure.identity import WorkloadIdentityCredential
        return WorkloadIdentityCredential(tenant_id=self.inputs['tenant_id'], client_id=self.inputs['client_id'],
                                          token_file_path=self.inputs['federated_token_file'], **self.common_kwargs())
