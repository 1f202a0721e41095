# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The delegation condition the onboarding writes, judged by the sandbox's ABAC evaluator (w365_sandbox/arm_abac.py),
and the certificate file it writes."""
from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils import _onboarding as ob
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError
from w365_sandbox import arm_abac

W365 = '7b000000-0000-4000-8000-000000005e01'
OTHER = '7b000000-0000-4000-8000-0000000000f1'
OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'
READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
NIC = '1f135831-5bbe-4924-9016-264044c00788'
NET_USER = '7eabc9a4-85f7-4f71-b8ab-75daaccc1033'


def write_attrs(role, principal, source='request'):
    prefix = 'microsoft.authorization/roleassignments:'
    return {(source, prefix + 'roledefinitionid'): role, (source, prefix + 'principalid'): principal,
            (source, prefix + 'principaltype'): 'ServicePrincipal'}


@pytest.mark.parametrize('role', [READER, NIC, NET_USER])
def test_condition_allows_the_windows365_roles_for_windows365_only(role):
    condition = ob.delegation_condition(W365)
    assert arm_abac.evaluate(condition, arm_abac.WRITE, write_attrs(role, W365))
    assert arm_abac.evaluate(condition, arm_abac.DELETE, write_attrs(role, W365, 'resource'))
    assert not arm_abac.evaluate(condition, arm_abac.WRITE, write_attrs(role, OTHER))
    assert not arm_abac.evaluate(condition, arm_abac.DELETE, write_attrs(role, OTHER, 'resource'))


def test_condition_refuses_owner_and_other_actions_pass_through():
    condition = ob.delegation_condition(W365)
    assert not arm_abac.evaluate(condition, arm_abac.WRITE, write_attrs(OWNER, W365))
    assert not arm_abac.evaluate(condition, arm_abac.DELETE, write_attrs(OWNER, W365, 'resource'))
    # Actions the condition does not target (reads) are not constrained.
    assert arm_abac.evaluate(condition, 'Microsoft.Authorization/roleAssignments/read', {})


def test_microsoft_example_condition_is_understood():
    # "Constrain roles and principal types" from Microsoft's delegation examples.
    condition = ("((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
                 "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals "
                 "{5e467623-bb1f-42f4-a55d-6e525e11384b, a795c7a0-d4a2-40c1-ae25-d81f01202912} AND "
                 "@Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:"
                 "StringEqualsIgnoreCase {'User', 'Group'}))")
    user = write_attrs('5e467623-bb1f-42f4-a55d-6e525e11384b', OTHER)
    user[('request', 'microsoft.authorization/roleassignments:principaltype')] = 'User'
    assert arm_abac.evaluate(condition, arm_abac.WRITE, user)
    assert not arm_abac.evaluate(condition, arm_abac.WRITE, write_attrs('5e467623-bb1f-42f4-a55d-6e525e11384b', OTHER))
    # Unreadable text fails closed.
    assert not arm_abac.evaluate('@Request[x] ???', arm_abac.WRITE, user)


def test_same_condition_ignores_space_and_case():
    assert ob.same_condition(ob.delegation_condition(W365), ob.delegation_condition(W365.upper()).replace(' ', '  '))
    assert not ob.same_condition(ob.delegation_condition(W365), ob.delegation_condition(OTHER))


def test_permissions_are_checked_by_name():
    assert ob.validate_permissions(['cloudpc.readwrite.all', 'CloudPC.ReadWrite.All']) == ['CloudPC.ReadWrite.All']
    with pytest.raises(W365ConfigError) as err:
        ob.validate_permissions(['AppRoleAssignment.ReadWrite.All'])
    assert err.value.option == 'graph_permissions'


def test_certificate_file_is_private_and_encrypted(tmp_path):
    key, cert = ob.generate_certificate('w365-rollout', 30)
    path = tmp_path / 'id.pem'
    ob.write_private_file(str(path), ob.certificate_pem(key, cert, 'pass-never-shown'))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    loaded, encrypted = ob.read_certificate(str(path), 'pass-never-shown')
    assert encrypted and ob.thumbprint_hex(loaded) == ob.thumbprint_hex(cert)
    with pytest.raises(W365ConfigError) as err:
        ob.read_certificate(str(path), 'wrong')
    assert err.value.option == 'certificate_passphrase' and 'wrong' not in str(err.value)
