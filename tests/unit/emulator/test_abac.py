"""ABAC conditions on role assignment writes and deletes (w365_sandbox/arm_abac.py), over HTTPS."""

from __future__ import annotations

import uuid

from .api import ARM
from .ids import (C_APP, C_READER, C_READER_OID, C_READER_SECRET, C_SECRET, C_SUB, C_TENANT, C_W365, ROLE_NIC,
                  ROLE_OWNER, ROLE_READER, rg_id, role_def)

V_AUTH = {"api-version": "2022-04-01"}
USER_OID = "ee265e5d-ed86-4a1a-8bc5-99ca81fa3953"
RBAC_ADMIN = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
ATTR = "Microsoft.Authorization/roleAssignments"


def constrained(roles, principal):
    """Microsoft's "Constrain roles and principals" shape: writes by request attributes, deletes by resource ones."""
    parts = []
    for action, source in (("write", "Request"), ("delete", "Resource")):
        parts.append(f"((!(ActionMatches{{'{ATTR}/{action}'}})) OR (@{source}[{ATTR}:RoleDefinitionId] "
                     f"ForAnyOfAnyValues:GuidEquals {{{', '.join(roles)}}} AND @{source}[{ATTR}:PrincipalId] "
                     f"ForAnyOfAnyValues:GuidEquals {{{principal}}}))")
    return " AND ".join(parts)


def _path(scope, name):
    return f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"


def _body(role, principal):
    return {"properties": {"roleDefinitionId": role_def(C_SUB, role), "principalId": principal,
                           "principalType": "ServicePrincipal" if principal != USER_OID else "User"}}


def test_conditioned_rbac_administrator(launch, seed):
    seed["tenants"][0]["role_assignments"].append(
        {"principal_id": C_READER_OID, "role": RBAC_ADMIN, "scope": f"/subscriptions/{C_SUB}",
         "condition": constrained([ROLE_READER, ROLE_NIC], C_W365), "condition_version": "2.0"})
    api = launch(seed)
    delegate = api.app_token(C_TENANT, C_READER, C_READER_SECRET, ARM)
    owner = api.app_token(C_TENANT, C_APP, C_SECRET, ARM)
    rg = rg_id(C_SUB, "rg-cpc-weu")

    allowed = str(uuid.uuid4())
    r = api.call(delegate, "PUT", _path(rg, allowed), _body(ROLE_NIC, C_W365), params=V_AUTH)
    assert r.status == 201, r
    for role, principal in ((ROLE_OWNER, C_W365), (ROLE_NIC, USER_OID)):
        r = api.call(delegate, "PUT", _path(rg, str(uuid.uuid4())), _body(role, principal), params=V_AUTH)
        assert r.status == 403 and r.code == "AuthorizationFailed", r
        assert "does not have authorization or an ABAC condition not fulfilled to perform action " \
               f"'{ATTR}/write'" in r.json["error"]["message"]

    # Deletes are judged by the assignment being deleted.
    foreign = str(uuid.uuid4())
    assert api.call(owner, "PUT", _path(rg, foreign), _body(ROLE_NIC, USER_OID), params=V_AUTH).status == 201
    r = api.call(delegate, "DELETE", _path(rg, foreign), params=V_AUTH)
    assert r.status == 403 and f"'{ATTR}/delete'" in r.json["error"]["message"], r
    assert api.call(delegate, "DELETE", _path(rg, allowed), params=V_AUTH).status == 200


def test_an_unconditioned_assignment_still_allows(launch, seed):
    seed["tenants"][0]["role_assignments"].extend([
        {"principal_id": C_READER_OID, "role": RBAC_ADMIN, "scope": f"/subscriptions/{C_SUB}",
         "condition": constrained([ROLE_READER], C_W365)},
        {"principal_id": C_READER_OID, "role": "User Access Administrator", "scope": rg_id(C_SUB, "rg-cpc-weu")}])
    api = launch(seed)
    delegate = api.app_token(C_TENANT, C_READER, C_READER_SECRET, ARM)
    r = api.call(delegate, "PUT", _path(rg_id(C_SUB, "rg-cpc-weu"), str(uuid.uuid4())), _body(ROLE_OWNER, C_W365),
                 params=V_AUTH)
    assert r.status == 201, r
    # ... but only where it applies: at the subscription the conditioned one alone decides.
    r = api.call(delegate, "PUT", _path(f"/subscriptions/{C_SUB}", str(uuid.uuid4())), _body(ROLE_OWNER, C_W365),
                 params=V_AUTH)
    assert r.status == 403, r
