"""w365_preflight and the preflight role under ansible-playbook against the sandbox (seed: seeds/rollout.yml)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

SEED_PATH = Path(__file__).parent / "seeds" / "rollout.yml"
SEED = yaml.safe_load(SEED_PATH.read_text(encoding="utf-8"))
CONTOSO_SUB = "7e000001-0000-4000-8000-0000000050b1"
TAILSPIN_SUB = "7e000003-0000-4000-8000-0000000050b1"
CONTOSO_READER = "7e000001-0000-4000-8000-00000000c12e"
GOLDEN = "/subscriptions/%s/resourceGroups/rg-images/providers/Microsoft.Compute/images/win11-23h2-golden" % CONTOSO_SUB

CONTOSO_WEU = dict(name="anc-contoso-weu", subscription_id=CONTOSO_SUB, resource_group="rg-cpc-weu",
                   virtual_network="vnet-cpc-weu", subnet="cloudpcs", location="westeurope", planned_cloud_pcs=100)
TAILSPIN_WEU = dict(name="anc-tailspin-weu", subscription_id=TAILSPIN_SUB, resource_group="rg-cpc-weu",
                    virtual_network="vnet-cpc-weu", subnet="cloudpcs", location="westeurope", planned_cloud_pcs=50)


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    from tests.helpers.sandbox import start_sandbox

    sandbox = start_sandbox(SEED_PATH, workdir=tmp_path_factory.mktemp("sandbox"))
    yield sandbox
    sandbox.stop()


def play(auth, tasks):
    return [{"hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/w365.cloudpc.w365": auth}, "tasks": tasks}]


def preflight_task(**options):
    return {"name": "preflight", "w365.cloudpc.w365_preflight": options, "register": "pf"}


def checks_by_name(result):
    return {c["name"]: c for c in result["checks"]}


def test_healthy_target_reports_every_check_and_sends_no_write(box, run_playbook):
    box.clear_requests()
    res = run_playbook(play(box.auth_vars("contoso.onmicrosoft.com"),
                            [preflight_task(source_image_ids=[GOLDEN], **CONTOSO_WEU)]))
    assert res.rc == 0, res
    result = res.result("preflight")
    assert result["changed"] is False
    checks = checks_by_name(result)
    for name in ("subscription", "resource_group", "virtual_network", "virtual_network_region", "subnet",
                 "subnet_capacity", "anc_limit", "windows365_service_principal", "hybrid_join_inputs",
                 "grant_permissions", "source_image"):
        assert checks[name]["status"] == "passed", checks[name]
    capacity = checks["subnet_capacity"]["data"]
    # 10.10.1.0/24 with 12 addresses used in the seed: 256 - 5 reserved - 12 = 239 free; 100 planned.
    assert (capacity["usable_addresses"], capacity["free_addresses"], capacity["free_after_provisioning"]) == (
        251, 239, 139)
    # The Windows 365 principal has no grants yet: reported, not fatal.
    assert checks["role_grants"]["status"] == "warning"
    assert len(checks["role_grants"]["data"]["missing"]) == 3
    assert result["passed"] is True
    assert result["summary"]["status"] == "warning"
    assert box.writes() == []


def test_broken_tenant_lists_every_failed_check_and_never_stops_half_way(box, run_playbook):
    box.clear_requests()
    res = run_playbook(play(box.auth_vars("tailspin.onmicrosoft.com"), [preflight_task(**TAILSPIN_WEU)]))
    assert res.rc == 0, res
    result = res.result("preflight")
    checks = checks_by_name(result)
    assert result["passed"] is False
    assert sorted(result["summary"]["failed_checks"]) == [
        "subnet_capacity", "virtual_network_region", "windows365_service_principal"]
    for name in result["summary"]["failed_checks"]:
        assert checks[name]["remedy"], name
    assert "northeurope" in checks["virtual_network_region"]["detail"]
    assert "az ad sp create --id 0af06dc6-e4b5-4f28-818e-e78e62d137a5" in checks["windows365_service_principal"]["remedy"]
    # Checks that need the missing principal are reported as skipped, not left out.
    assert checks["role_grants"]["status"] == "skipped"
    assert checks["grant_permissions"]["status"] == "skipped"
    # Checks after the failures still ran.
    assert checks["anc_limit"]["status"] == "passed"
    assert box.writes() == []


def test_caller_without_rights_is_told_who_can_grant(box, run_playbook):
    res = run_playbook(play(box.auth_vars("contoso.onmicrosoft.com", CONTOSO_READER), [preflight_task(**CONTOSO_WEU)]))
    assert res.rc == 0, res
    check = checks_by_name(res.result("preflight"))["grant_permissions"]
    assert check["status"] == "failed"
    assert "Owner, User Access Administrator or Role Based Access Control Administrator" in check["remedy"]
    assert len(check["data"]["blocked"]) == 3


def test_service_error_becomes_a_failed_check_with_status_and_request_id(box, run_playbook):
    box.fault({"method": "GET", "path": r"/virtualNetworks/vnet-cpc-weu$", "status": 403,
               "code": "AuthorizationFailed", "service": "arm"})
    try:
        res = run_playbook(play(box.auth_vars("contoso.onmicrosoft.com"), [preflight_task(**CONTOSO_WEU)]))
    finally:
        box.clear_faults()
    assert res.rc == 0, res
    result = res.result("preflight")
    checks = checks_by_name(result)
    vnet = checks["virtual_network"]
    assert vnet["status"] == "failed"
    assert "403" in vnet["detail"] and "AuthorizationFailed" in vnet["detail"]
    assert vnet["data"]["error"]["request_id"]
    for dependant in ("virtual_network_region", "subnet", "subnet_capacity", "role_grants"):
        assert checks[dependant]["status"] == "skipped", dependant
    # Checks that do not depend on the vnet still ran.
    assert checks["anc_limit"]["status"] == "passed"
    assert checks["windows365_service_principal"]["status"] == "passed"


def test_hybrid_inputs_are_checked_and_the_password_never_shown(box, run_playbook):
    secret = "Very-Secret-Join-Pw-7781"
    res = run_playbook(play(box.auth_vars("contoso.onmicrosoft.com"), [preflight_task(
        join_type="hybrid_join", ad_domain_name="corp.contoso.com", ad_domain_username="CORP\\svc-join",
        ad_domain_password=secret, organizational_unit="CloudPCs", **CONTOSO_WEU)]), verbosity=4)
    assert res.rc == 0, res
    checks = checks_by_name(res.result("preflight"))
    hybrid = checks["hybrid_join_inputs"]
    assert hybrid["status"] == "failed"
    assert len(hybrid["data"]["problems"]) == 2
    assert "ad_domain_username" in hybrid["detail"] and "organizational_unit" in hybrid["detail"]
    # The vnet uses Azure DNS, which cannot resolve an on-premises domain.
    assert checks["virtual_network_dns"]["status"] == "warning"
    client_secret = box.auth_vars("contoso.onmicrosoft.com")["client_secret"]
    for text in (res.stdout, res.stderr, str(res.results)):
        assert secret not in text
        assert client_secret not in text


def test_anc_limit_counts_existing_connections(sandbox_factory, run_playbook):
    seed = copy.deepcopy(SEED)
    contoso = seed["tenants"][0]
    contoso["anc_limit"] = 2
    subnet = "/subscriptions/%s/resourceGroups/rg-cpc-neu/providers/Microsoft.Network/virtualNetworks/vnet-cpc-neu" \
             "/subnets/cloudpcs" % CONTOSO_SUB
    contoso["network_connections"] = [{"display_name": "old-1", "subnet_id": subnet},
                                      {"display_name": "old-2", "subnet_id": subnet}]
    box = sandbox_factory(seed)
    res = run_playbook(play(box.auth_vars(0), [
        preflight_task(anc_limit=2, **CONTOSO_WEU),
        {"name": "existing", "w365.cloudpc.w365_preflight": dict(CONTOSO_WEU, name="old-2", anc_limit=2),
         "register": "pf2"},
    ]))
    assert res.rc == 0, res
    limit = checks_by_name(res.result("preflight"))["anc_limit"]
    assert limit["status"] == "failed", limit
    assert limit["data"] == {"connections": 2, "limit": 2, "already_exists": False}
    # A connection that already exists needs no new slot.
    assert checks_by_name(res.result("existing"))["anc_limit"]["status"] == "passed"


@pytest.mark.parametrize("options,option", [
    (dict(subnet="/subscriptions/not-a-guid/oops"), "subnet"),
    (dict(resource_group="rg-cpc-weu", virtual_network="vnet-cpc-weu"), "subnet"),
    (dict(CONTOSO_WEU, planned_cloud_pcs=-1), "planned_cloud_pcs"),
    (dict(CONTOSO_WEU, max_os_disk_size_gb=0), "max_os_disk_size_gb"),
    (dict(source_image_ids=[GOLDEN.replace("/images/", "/galleries/g/images/")]), "source_image_ids[0]"),
    ({}, "subnet"),
])
def test_bad_input_fails_naming_the_option_before_any_request(box, run_playbook, options, option):
    box.clear_requests()
    res = run_playbook(play(box.auth_vars(0), [preflight_task(**options)]))
    assert res.rc != 0
    assert res.entry("preflight")["status"] == "failed"
    assert option in res.result("preflight")["msg"]
    assert [r for r in box.requests() if r.get("service") in ("graph", "arm")] == []


def test_preflight_role_fails_once_listing_every_failed_check(box, run_playbook):
    box.clear_requests()
    vars_ = {"preflight_" + k: v for k, v in TAILSPIN_WEU.items()}
    res = run_playbook(play(box.auth_vars("tailspin.onmicrosoft.com"), [
        {"name": "role", "ansible.builtin.include_role": {"name": "w365.cloudpc.preflight"}, "vars": vars_}]))
    assert res.rc != 0
    failed = [r for r in res.results if r["status"] == "failed"]
    assert len(failed) == 1
    msg = failed[0]["result"]["msg"]
    assert msg.startswith("Preflight failed 3 of")
    for name in ("virtual_network_region", "subnet_capacity", "windows365_service_principal"):
        assert name in msg
    assert "Remedy:" in msg
    assert box.writes() == []


def test_preflight_role_warnings_fatal_only_when_asked(box, run_playbook):
    vars_ = {"preflight_" + k: v for k, v in CONTOSO_WEU.items()}
    ok = run_playbook(play(box.auth_vars(0), [
        {"name": "role", "ansible.builtin.include_role": {"name": "w365.cloudpc.preflight"}, "vars": vars_}]))
    assert ok.rc == 0, ok
    strict = run_playbook(play(box.auth_vars(0), [
        {"name": "role", "ansible.builtin.include_role": {"name": "w365.cloudpc.preflight"},
         "vars": dict(vars_, preflight_fail_on_warning=True)}]))
    assert strict.rc != 0
    assert "role_grants (warning)" in [r for r in strict.results if r["status"] == "failed"][0]["result"]["msg"]


def test_region_outside_the_supported_list_fails_with_the_remedy(box, run_playbook):
    """A vnet region Windows 365 does not serve would fail the ANC health check: preflight says so up front,
    and `supported_regions` lets users accept a region Microsoft added after the release."""
    box.clear_requests()
    target = dict(CONTOSO_WEU)
    target.pop("location")
    res = run_playbook(play(box.auth_vars("contoso.onmicrosoft.com"), [
        preflight_task(supported_regions=["northeurope", "eastus"], **target),
        {"name": "widened", "w365.cloudpc.w365_preflight": dict(supported_regions=["West Europe"], **target),
         "register": "wide"},
    ]))
    assert res.rc == 0, res
    region = checks_by_name(res.result("preflight"))["virtual_network_region"]
    assert region["status"] == "failed"
    assert "westeurope" in region["detail"] and "UnsupportedVNetRegion" in region["detail"]
    assert "supported_regions" in region["remedy"]
    assert checks_by_name(res.result("widened"))["virtual_network_region"]["status"] == "passed"
    assert box.writes() == []


def test_source_image_requirements_are_checked_before_any_write(sandbox_factory, run_playbook):
    """Issue 12 (finding 4): a non-generalized, generation 1 or data-disk source is reported by the preflight, with
    what to do, and nothing is written; a good one passes (Windows 365 device images overview, image requirements)."""
    seed = copy.deepcopy(SEED)
    rg = seed["tenants"][0]["subscriptions"][0]["resource_groups"][2]
    assert rg["name"] == "rg-images"
    rg["images"] += [{"name": "raw", "generalized": False}, {"name": "gen1", "generation": 1},
                     {"name": "two-disks", "data_disks": 2}]
    box = sandbox_factory(seed)
    ids = [GOLDEN] + [GOLDEN.rsplit("/", 1)[0] + "/" + n for n in ("raw", "gen1", "two-disks")]
    box.clear_requests()
    res = run_playbook(play(box.auth_vars("contoso.onmicrosoft.com"),
                            [preflight_task(source_image_ids=ids, check_grants=False)]))
    assert res.rc == 0, res
    result = res.result("preflight")
    checks = [c for c in result["checks"] if c["name"] == "source_image_requirements"]
    assert [c["status"] for c in checks] == ["passed", "failed", "failed", "failed"], checks
    assert "generalized" in checks[1]["detail"] and "sysprep" in checks[1]["remedy"]
    assert "generation_2" in checks[2]["detail"] and "no_data_disks" in checks[3]["detail"]
    assert result["passed"] is False
    assert box.writes() == []


def test_region_check_reads_supported_regions_live_and_falls_back_only_on_403(sandbox_factory, run_playbook):
    """Issue 14.4: the region check uses Graph beta supportedRegions (regionStatus counts: restricted warns); the
    built-in list is used only when Graph refuses the call with 403, and the result says which list was used."""
    seed = copy.deepcopy(SEED)
    seed["region_status"] = {"westeurope": "restricted"}
    box = sandbox_factory(seed)
    target = dict(CONTOSO_WEU)
    auth = box.auth_vars("contoso.onmicrosoft.com")
    box.clear_requests()
    res = run_playbook(play(auth, [preflight_task(check_grants=False, **target)]))
    assert res.rc == 0, res
    region = checks_by_name(res.result("preflight"))["virtual_network_region"]
    assert region["status"] == "warning", region
    assert region["data"]["regions_source"] == "graph" and region["data"]["region_status"] == "restricted"
    assert any(r["path"] == "/beta/deviceManagement/virtualEndpoint/supportedRegions" for r in box.requests())

    box.fault({"method": "GET", "path": "supportedRegions$", "status": 403, "service": "graph", "code": "Forbidden"})
    res = run_playbook(play(auth, [preflight_task(check_grants=False, **target)]))
    region = checks_by_name(res.result("preflight"))["virtual_network_region"]
    assert region["status"] == "passed", region
    assert region["data"]["regions_source"] == "built-in" and "403" in region["data"]["regions_source_note"]

    box.clear_faults()
    box.fault({"method": "GET", "path": "supportedRegions$", "status": 404, "service": "graph", "count": 3})
    res = run_playbook(play(auth, [preflight_task(check_grants=False, **target)]))
    region = checks_by_name(res.result("preflight"))["virtual_network_region"]
    assert region["status"] == "failed" and "404" in region["detail"], region
    box.clear_faults()
    assert box.writes() == []


def test_caller_permissions_at_subscription_use_documented_calls_and_404_is_not_cannot(box, run_playbook):
    """Issue 14.6: at subscription scope the caller's own role assignments answer (ARM documents no subscription
    permissions call); a 404 from a permissions read never becomes "the caller cannot grant"."""
    auth = box.auth_vars("contoso.onmicrosoft.com")
    box.clear_requests()
    res = run_playbook(play(auth, [preflight_task(**CONTOSO_WEU)]))
    assert res.rc == 0, res
    check = checks_by_name(res.result("preflight"))["grant_permissions"]
    assert check["status"] == "passed", check
    paths = [r["path"].lower() for r in box.requests() if r.get("service") == "arm"]
    assert "/subscriptions/%s/providers/microsoft.authorization/permissions" % CONTOSO_SUB not in paths
    assert any(p == "/subscriptions/%s/providers/microsoft.authorization/roleassignments" % CONTOSO_SUB
               for p in paths)

    box.fault({"method": "GET", "path": "(?i)/providers/Microsoft.Authorization/permissions$", "status": 404,
               "service": "arm"})
    res = run_playbook(play(auth, [preflight_task(**CONTOSO_WEU)]))
    box.clear_faults()
    check = checks_by_name(res.result("preflight"))["grant_permissions"]
    assert check["status"] == "warning", check
    assert "cannot create" not in check["detail"] and check["data"]["unknown"]
    assert box.writes() == []
