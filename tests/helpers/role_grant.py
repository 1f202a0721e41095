"""Sandbox helpers for the role-grant tests: read role assignments from the world state, add a fresh principal,
and start several ansible-playbook runs at the same moment."""

from __future__ import annotations

import threading


def role_assignments(box, tenant_index=0) -> list[dict]:
    """Every role assignment of a tenant as ARM returns them (id, name, properties.{scope,roleDefinitionId,...})."""
    return box.state()["tenants"][tenant_index]["role_assignments"]


def triples(box, principal_id, tenant_index=0) -> list[tuple[str, str]]:
    """(role GUID, scope) of each assignment of `principal_id`, lower case, sorted; duplicates kept."""
    out = []
    for ra in role_assignments(box, tenant_index):
        props = ra["properties"]
        if props["principalId"].lower() == principal_id.lower():
            out.append((props["roleDefinitionId"].rsplit("/", 1)[-1].lower(), props["scope"].lower()))
    return sorted(out)


def create_principal(box, tenant, object_id, app_id=None, kind="ServicePrincipal") -> dict:
    """Add a directory object now, as `az ad sp create` would: it then replicates to RBAC after the tenant's
    principal_replication_seconds (sandbox time)."""
    return box.add_principal(tenant, object_id, app_id=app_id, kind=kind)


def run_together(tmp_path, plays, **kwargs) -> list:
    """Start one ansible-playbook process per play at the same moment; returns their results in order."""
    from tests.helpers.playbook import run_playbook

    barrier = threading.Barrier(len(plays))
    results = [None] * len(plays)
    errors = []

    def worker(i, play):
        try:
            barrier.wait()
            results[i] = run_playbook(tmp_path / f"together{i}", play, **kwargs)
        except BaseException as err:  # re-raised in the test thread below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(i, play)) for i, play in enumerate(plays)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
