"""Teardown removes only the role grants this collection created, and re-asserts the grants of connections that remain
on a network of a deleted one (issue 12 finding 1; issue 14 "Deleting an ANC removes Windows 365's role
assignments"). Runs playbooks/rollout.yml then playbooks/teardown.yml against the sandbox (seeds/rollout.yml)."""

from __future__ import annotations

import copy

from tests.integration.test_rollout import (
    IMAGES, ROLLOUT, SEED, SUBS, TEARDOWN, TENANT_IDS, _anc, load_report, deployments, write_inventory)

MARKER = "Created by w365.cloudpc"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
SUB = "/subscriptions/%s" % SUBS["contoso"]
PRE_EXISTING_READER = "7e000001-0000-4000-8000-00000000ae01"


def _rg(name):
    return "%s/resourceGroups/%s" % (SUB, name)


def _vnet(rg, name):
    return "%s/providers/Microsoft.Network/virtualNetworks/%s" % (_rg(rg), name)


def _contoso(box):
    return next(t for t in box.state()["tenants"] if t["id"] == TENANT_IDS["contoso"])


def _w365_assignments(box, sp):
    return [a for a in _contoso(box)["role_assignments"] if a["properties"]["principalId"] == sp]


def _health_check(box, run_playbook, name):
    """Run the health checks of one connection and wait for them: the connection's result."""
    auth = box.auth_vars(TENANT_IDS["contoso"])
    res = run_playbook([{
        "hosts": "localhost", "gather_facts": False,
        "module_defaults": {"group/w365.cloudpc.w365": "{{ w365_test_auth }}"},
        "tasks": [{"name": "check", "register": "check", "w365.cloudpc.w365_anc": {
            "name": name, "run_health_checks": True, "wait": True, "wait_timeout": 300}}]}],
        extra_vars={"w365_test_auth": auth})
    assert res.rc == 0, res
    return res.result("check")["connection"]


def _seed_with_outside_connection():
    """contoso as the rollout seed has it, plus what existed before the rollout: Windows 365's subscription Reader
    (granted by hand, no marker) and a connection outside the inventory on its own network, with its grants."""
    seed = copy.deepcopy(SEED)
    contoso = seed["tenants"][0]
    sp = contoso["windows365_service_principal"]["object_id"]
    contoso["subscriptions"][0]["resource_groups"].append({
        "name": "rg-outside", "location": "westeurope", "virtual_networks": [{
            "name": "vnet-outside", "address_space": ["10.60.0.0/16"],
            "subnets": [{"name": "cloudpcs", "prefix": "10.60.1.0/24"}]}]})
    contoso["role_assignments"] += [
        {"principal_id": sp, "role": "Reader", "scope": SUB, "name": PRE_EXISTING_READER,
         "description": "Windows 365 reads the subscription (granted by the platform team)"},
        {"principal_id": sp, "role": "Windows 365 Network Interface Contributor", "scope": _rg("rg-outside")},
        {"principal_id": sp, "role": "Windows 365 Network User", "scope": _vnet("rg-outside", "vnet-outside")},
    ]
    contoso["network_connections"] = [{"display_name": "anc-outside",
                                       "subnet_id": _vnet("rg-outside", "vnet-outside") + "/subnets/cloudpcs"}]
    return seed, sp


def test_teardown_keeps_a_reader_grant_that_existed_before(sandbox_factory, run_playbook, tmp_path):
    """Image and network in one subscription; Windows 365's subscription Reader existed before the rollout."""
    seed, sp = _seed_with_outside_connection()
    box = sandbox_factory(seed)
    assert _health_check(box, run_playbook, "anc-outside")["health_check_status"] == "passed"
    inventory = write_inventory(tmp_path / "inv", box, tenants=("contoso",))
    report_dir = tmp_path / "reports"

    rollout = run_playbook(ROLLOUT, inventory=inventory, forks=4, extra_vars={"w365_report_dir": str(report_dir)})
    assert rollout.rc == 0, rollout
    made = [a for a in _w365_assignments(box, sp) if (a["properties"]["description"] or "").startswith(MARKER)]
    # The rollout made the two network roles of each region, and no second Reader: the one there counts.
    assert len(made) == 4, made
    assert all(a["properties"]["scope"].lower() != SUB.lower() for a in made)

    teardown = run_playbook(TEARDOWN, inventory=inventory, forks=4, extra_vars={
        "w365_report_dir": str(report_dir), "w365_teardown_confirm": "yes",
        # Whatever the options say, a grant this collection did not create stays.
        "w365_teardown_remove_subscription_reader": True})
    assert teardown.rc == 0, teardown
    names = {a["name"] for a in _w365_assignments(box, sp)}
    assert PRE_EXISTING_READER in names
    assert not [a for a in _w365_assignments(box, sp) if (a["properties"]["description"] or "").startswith(MARKER)]
    assert "anc-contoso-westeurope" not in str(_contoso(box)["network_connections"])
    deps = deployments(load_report(report_dir, "teardown"))
    assert not any("Reader" in change for dep in deps.values() for change in dep["changes"]), deps
    # The connection outside the inventory still passes its health checks.
    outside = _health_check(box, run_playbook, "anc-outside")
    assert outside["health_check_status"] == "passed", outside["health_checks"]


def test_teardown_regrants_a_connection_left_on_a_shared_network(sandbox_factory, run_playbook, tmp_path):
    """Two connections on one resource group and vnet; tearing one down must not break the other."""
    seed = copy.deepcopy(SEED)
    contoso = seed["tenants"][0]
    sp = contoso["windows365_service_principal"]["object_id"]
    weu = contoso["subscriptions"][0]["resource_groups"][0]
    weu["virtual_networks"][0]["subnets"].append({"name": "cloudpcs2", "prefix": "10.10.2.0/24"})
    box = sandbox_factory(seed)
    second = _anc("contoso", "westeurope", "rg-cpc-weu", "vnet-cpc-weu", 20)
    second["w365_network_connection"].update(name="anc-contoso-westeurope-2", subnet="cloudpcs2")
    hosts = {"contoso": {
        "contoso_westeurope": _anc("contoso", "westeurope", "rg-cpc-weu", "vnet-cpc-weu", 50),
        "contoso_westeurope2": second}}
    inventory = write_inventory(tmp_path / "inv", box, tenants=("contoso",), deployments_=hosts,
                                images_=dict(IMAGES, contoso=[]))
    report_dir = tmp_path / "reports"
    rollout = run_playbook(ROLLOUT, inventory=inventory, forks=4, extra_vars={"w365_report_dir": str(report_dir)})
    assert rollout.rc == 0, rollout

    # Check mode says what a real run would grant again, and sends no write.
    box.clear_requests()
    check = run_playbook(TEARDOWN, inventory=inventory, check=True, limit="contoso_westeurope,localhost",
                         extra_vars={"w365_report_dir": str(report_dir)})
    assert check.rc == 0, check
    assert box.writes() == []
    predicted = deployments(load_report(report_dir, "teardown"))["contoso_westeurope"]["changes"]
    assert any("anc-contoso-westeurope-2" in change for change in predicted), predicted

    teardown = run_playbook(TEARDOWN, inventory=inventory, limit="contoso_westeurope,localhost", extra_vars={
        "w365_report_dir": str(report_dir), "w365_teardown_confirm": "yes"})
    assert teardown.rc == 0, teardown
    ancs = [a["displayName"] for a in _contoso(box)["network_connections"]]
    assert ancs == ["anc-contoso-westeurope-2"]
    scopes = {(a["properties"]["roleDefinitionId"].rsplit("/", 1)[-1], a["properties"]["scope"].lower())
              for a in _w365_assignments(box, sp)}
    assert ("1f135831-5bbe-4924-9016-264044c00788", _rg("rg-cpc-weu").lower()) in scopes
    assert ("7eabc9a4-85f7-4f71-b8ab-75daaccc1033", _vnet("rg-cpc-weu", "vnet-cpc-weu").lower()) in scopes
    assert (READER, SUB.lower()) in scopes
    changes = deployments(load_report(report_dir, "teardown"))["contoso_westeurope"]["changes"]
    assert any(c.startswith("granted Windows 365 Network User") and "anc-contoso-westeurope-2" in c
               for c in changes), changes
    remaining = _health_check(box, run_playbook, "anc-contoso-westeurope-2")
    assert remaining["health_check_status"] == "passed", remaining["health_checks"]
