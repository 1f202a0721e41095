"""playbooks/rollout.yml, report.yml and teardown.yml over a multi-tenant sandbox inventory (seeds/rollout.yml).

contoso and fabrikam (two regions each) are healthy; tailspin is broken on purpose and must fail in preflight with
every failed check listed and without a single write request.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SEED_PATH = Path(__file__).parent / "seeds" / "rollout.yml"
SEED = yaml.safe_load(SEED_PATH.read_text(encoding="utf-8"))
ROLLOUT = REPO / "playbooks" / "rollout.yml"
REPORT = REPO / "playbooks" / "report.yml"
TEARDOWN = REPO / "playbooks" / "teardown.yml"

TENANT_IDS = {t["domain"].split(".")[0]: t["id"] for t in SEED["tenants"]}
SUBS = {key: "7e00000%d-0000-4000-8000-0000000050b1" % n for n, key in enumerate(("contoso", "fabrikam", "tailspin"), 1)}


def _image(tenant, rg, name):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/images/%s" % (SUBS[tenant], rg, name)


def _anc(tenant, region, rg, vnet, planned):
    return {"w365_region": region, "w365_network_connection": {
        "name": "anc-%s-%s" % (tenant, region), "subscription_id": SUBS[tenant], "resource_group": rg,
        "virtual_network": vnet, "subnet": "cloudpcs", "planned_cloud_pcs": planned}}


DEPLOYMENTS = {
    "contoso": {
        "contoso_westeurope": _anc("contoso", "westeurope", "rg-cpc-weu", "vnet-cpc-weu", 100),
        "contoso_northeurope": _anc("contoso", "northeurope", "rg-cpc-neu", "vnet-cpc-neu", 20),
    },
    "fabrikam": {
        "fabrikam_westeurope": _anc("fabrikam", "westeurope", "rg-cpc-weu", "vnet-cpc-weu", 50),
        "fabrikam_eastus": _anc("fabrikam", "eastus", "rg-cpc-eus", "vnet-cpc-eus", 100),
    },
    "tailspin": {
        "tailspin_westeurope": _anc("tailspin", "westeurope", "rg-cpc-weu", "vnet-cpc-weu", 50),
    },
}
IMAGES = {
    "contoso": [{"name": "Win11 Contoso", "version": "1.0.0",
                 "source_image_id": _image("contoso", "rg-images", "win11-23h2-golden")}],
    "fabrikam": [{"name": "Win11 Fabrikam", "version": "2.1.0",
                  "source_image_id": _image("fabrikam", "rg-images", "win11-fabrikam")}],
    "tailspin": [],
}


def app_secret(tenant):
    return next(t for t in SEED["tenants"] if t["id"] == TENANT_IDS[tenant])["apps"][0]["secret"]


def write_inventory(tmp_path, box, tenants=("contoso", "fabrikam", "tailspin"), auth_overrides=None,
                    deployments_=None, images_=None):
    """A YAML inventory shaped like playbooks/inventory/example, pointing at the sandbox."""
    deployments_ = deployments_ or DEPLOYMENTS
    images_ = images_ or IMAGES
    children = {}
    regions = {}
    for tenant in tenants:
        auth = box.auth_vars(TENANT_IDS[tenant])
        for key in ("authority_host", "graph_endpoint", "arm_endpoint", "ca_bundle"):
            auth.pop(key)
        auth.update((auth_overrides or {}).get(tenant, {}))
        children["tenant_" + tenant] = {
            "vars": {"w365_tenant": tenant, "w365_auth": auth, "w365_images": images_[tenant]},
            "hosts": copy.deepcopy(deployments_[tenant]),
        }
        for host, hv in deployments_[tenant].items():
            regions.setdefault("region_" + hv["w365_region"], {"hosts": {}})["hosts"][host] = None
    inventory = {"all": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                 "w365_auth_common": box.endpoints(), "w365_wait_timeout": 600},
        "children": {"w365_tenants": {"children": children}, **regions}}}
    path = tmp_path / "inventory.yml"
    tmp_path.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")
    return path


def writes_by_tenant(box):
    counts = {}
    for entry in box.writes():
        counts.setdefault((entry.get("tenant") or "").lower(), []).append("%s %s" % (entry["method"], entry["path"]))
    return counts


def load_report(report_dir, name):
    return json.loads((report_dir / ("%s.json" % name)).read_text(encoding="utf-8"))


def deployments(report):
    return {d["host"]: d for t in report["tenants"] for d in t["deployments"]}


def assert_no_secrets(res, *secrets):
    for secret in secrets:
        assert secret not in res.stdout
        assert secret not in res.stderr


def test_rollout_converges_reports_and_second_run_changes_nothing(sandbox_factory, run_playbook, tmp_path):
    box = sandbox_factory(SEED_PATH)
    inventory = write_inventory(tmp_path / "inv", box)
    report_dir = tmp_path / "reports"
    extra = {"w365_report_dir": str(report_dir)}

    first = run_playbook(ROLLOUT, inventory=inventory, extra_vars=extra, forks=5)
    # The broken tenant fails the run at the end, after everything else converged.
    assert first.rc != 0, first
    assert first.stats["tailspin_westeurope"]["rescued"] == 1
    for host in ("contoso_westeurope", "contoso_northeurope", "fabrikam_westeurope", "fabrikam_eastus"):
        assert first.stats[host]["failures"] == 0, host
        assert first.stats[host]["changed"] > 0, host
    assert_no_secrets(first, *(app_secret(t) for t in TENANT_IDS))

    # No write at all for the broken tenant; the healthy ones got theirs.
    writes = writes_by_tenant(box)
    assert TENANT_IDS["tailspin"] not in writes
    for tenant in ("contoso", "fabrikam"):
        tenant_writes = writes[TENANT_IDS[tenant]]
        # Images are tenant-wide: one upload per tenant, not one per region.
        assert sum(1 for w in tenant_writes if w == "POST /v1.0/deviceManagement/virtualEndpoint/deviceImages") == 1
        assert sum(1 for w in tenant_writes
                   if w == "POST /v1.0/deviceManagement/virtualEndpoint/onPremisesConnections") == 2

    report = load_report(report_dir, "rollout")
    assert report["summary"]["failed_deployments"] == ["tailspin_westeurope"]
    assert report["summary"]["failed_tenants"] == ["tailspin"]
    assert report["summary"]["deployments"] == 5 and report["summary"]["changed"] == 4
    deps = deployments(report)
    broken = deps["tailspin_westeurope"]
    assert broken["failed"]["stage"] == "preflight"
    failed_checks = {c["name"]: c for c in broken["preflight"]["checks"] if c["status"] == "failed"}
    assert sorted(failed_checks) == ["subnet_capacity", "virtual_network_region", "windows365_service_principal"]
    assert all(c["remedy"] for c in failed_checks.values())
    assert broken["changes"] == []

    # The report agrees with the sandbox.
    state = box.state()
    state_text = json.dumps(state)
    for host in ("contoso_westeurope", "contoso_northeurope", "fabrikam_westeurope", "fabrikam_eastus"):
        conn = deps[host]["network_connection"]
        assert conn["health_check_status"] == "passed", (host, conn)
        assert conn["id"] and conn["id"] in state_text
        assert any(c.startswith("created Azure network connection") for c in deps[host]["changes"])
        assert len(deps[host]["grants"]) == 3
    tenants = {t["name"]: t for t in report["tenants"]}
    for tenant in ("contoso", "fabrikam"):
        assert [(i["name"], i["status"]) for i in tenants[tenant]["images"]] == [
            (IMAGES[tenant][0]["name"], "ready")]
        assert tenants[tenant]["images"][0]["id"] in state_text

    markdown = (report_dir / "rollout.md").read_text(encoding="utf-8")
    html = (report_dir / "rollout.html").read_text(encoding="utf-8")
    for text in (markdown, html):
        assert "tailspin" in text and "az ad sp create" in text
        assert "anc-contoso-westeurope" in text
    assert "subnet\\_capacity" in markdown
    # Self-contained: no script and no external resource.
    assert "<script" not in html
    assert not re.search(r'(src|href)\s*=\s*"https?:', html)

    box.clear_requests()
    second = run_playbook(ROLLOUT, inventory=inventory, extra_vars=extra, forks=5)
    assert second.rc != 0  # tailspin is still broken
    assert {host: s["changed"] for host, s in second.stats.items() if s["changed"]} == {}
    assert box.writes() == []
    report = load_report(report_dir, "rollout")
    assert report["summary"]["changed"] == 0 and report["summary"]["ok"] == 4
    assert report["summary"]["failed_deployments"] == ["tailspin_westeurope"]

    # The read-only report of the estate agrees, and sends no write either.
    box.clear_requests()
    estate = run_playbook(REPORT, inventory=inventory, extra_vars=extra, forks=5)
    assert box.writes() == []
    assert estate.rc != 0  # tailspin has no connection
    report = load_report(report_dir, "report")
    deps = deployments(report)
    assert sorted(h for h, d in deps.items() if d["status"] == "failed") == ["tailspin_westeurope"]
    assert "service principal" in deps["tailspin_westeurope"]["failed"]["message"]
    for host in ("contoso_westeurope", "fabrikam_eastus"):
        assert deps[host]["network_connection"]["health_check_status"] == "passed"
        assert len(deps[host]["grants"]) == 3
    assert [i["status"] for i in {t["name"]: t for t in report["tenants"]}["contoso"]["images"]] == ["ready"]


def test_check_mode_sends_no_write_and_tenant_map_overrides_inventory_signin(
        sandbox_factory, run_playbook, tmp_path):
    box = sandbox_factory(SEED_PATH)
    # The inventory holds a wrong secret for contoso; the AWX-style tenant map (YAML text) holds the right one.
    inventory = write_inventory(tmp_path / "inv", box, tenants=("contoso", "tailspin"),
                                auth_overrides={"contoso": {"client_secret": "wrong-secret-in-inventory"}})
    tenant_map = yaml.safe_dump({"contoso": {"client_secret": app_secret("contoso")}})
    report_dir = tmp_path / "reports"
    res = run_playbook(ROLLOUT, inventory=inventory, check=True, forks=5,
                       extra_vars={"w365_report_dir": str(report_dir), "w365_tenant_credentials": tenant_map})
    assert box.writes() == []
    report = load_report(report_dir, "rollout")
    assert report["check_mode"] is True
    deps = deployments(report)
    for host in ("contoso_westeurope", "contoso_northeurope"):
        assert deps[host]["failed"] is None, deps[host]
        # Check mode predicts the grants and the connection truthfully.
        assert res.stats[host]["changed"] > 0
        assert any("Azure network connection" in c for c in deps[host]["changes"])
    assert deps["tailspin_westeurope"]["failed"]["stage"] == "preflight"
    assert box.state()["tenants"][0].get("network_connections", []) == []
    assert_no_secrets(res, app_secret("contoso"), app_secret("tailspin"))


def test_teardown_removes_in_order_and_keeps_what_is_in_use(sandbox_factory, run_playbook, tmp_path):
    seed = copy.deepcopy(SEED)
    contoso, fabrikam = seed["tenants"][0], seed["tenants"][1]

    def subnet_id(tenant, rg, vnet):
        return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/%s/subnets/cloudpcs" \
               % (SUBS[tenant], rg, vnet)

    def grants(tenant, principal, rg, vnet):
        # As the rollout made them: with the collection's marker in the description (only those are removed).
        base = "/subscriptions/%s" % SUBS[tenant]
        vnet_id = "%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/%s" % (base, rg, vnet)
        mark = "Created by w365.cloudpc for Windows 365 (an Azure network connection)"
        return [{"principal_id": principal, "role": "Reader", "scope": base, "description": mark},
                {"principal_id": principal, "role": "Windows 365 Network Interface Contributor",
                 "scope": "%s/resourceGroups/%s" % (base, rg), "description": mark},
                {"principal_id": principal, "role": "Windows 365 Network User", "scope": vnet_id, "description": mark}]

    for tenant, data in (("contoso", contoso), ("fabrikam", fabrikam)):
        sp = data["windows365_service_principal"]["object_id"]
        data["network_connections"] = []
        for host, hv in DEPLOYMENTS[tenant].items():
            nc = hv["w365_network_connection"]
            data["network_connections"].append({"display_name": nc["name"], "subnet_id": subnet_id(
                tenant, nc["resource_group"], nc["virtual_network"])})
            data["role_assignments"] += grants(tenant, sp, nc["resource_group"], nc["virtual_network"])
        data["device_images"] = [{"display_name": IMAGES[tenant][0]["name"], "version": IMAGES[tenant][0]["version"],
                                  "source_image_resource_id": IMAGES[tenant][0]["source_image_id"]}]
    # A provisioning policy uses contoso's North Europe connection: it must stay, and so must contoso's grants.
    contoso["provisioning_policies"] = [{"display_name": "Contoso NEU", "domain_join_configurations": [
        {"domain_join_type": "azureADJoin", "on_premises_connection": "anc-contoso-northeurope"}]}]
    box = sandbox_factory(seed)
    inventory = write_inventory(tmp_path / "inv", box, tenants=("contoso", "fabrikam"))
    report_dir = tmp_path / "reports"

    refused = run_playbook(TEARDOWN, inventory=inventory, extra_vars={"w365_report_dir": str(report_dir)})
    assert refused.rc != 0
    assert "w365_teardown_confirm=yes" in refused.stdout
    assert box.writes() == []

    res = run_playbook(TEARDOWN, inventory=inventory, forks=4,
                       extra_vars={"w365_report_dir": str(report_dir), "w365_teardown_confirm": "yes"})
    assert res.rc != 0  # the in-use connection was refused
    state = json.dumps(box.state())
    assert "anc-contoso-westeurope" not in state
    assert "anc-contoso-northeurope" in state
    assert "anc-fabrikam-westeurope" not in state and "anc-fabrikam-eastus" not in state
    writes = writes_by_tenant(box)
    fabrikam_writes = writes[TENANT_IDS["fabrikam"]]
    # Connections first, then the image, then the grants.
    kinds = ["anc" if "onPremisesConnections" in w else "image" if "deviceImages" in w else "grant"
             for w in fabrikam_writes]
    assert kinds.index("image") > max(i for i, k in enumerate(kinds) if k == "anc")
    assert kinds.index("grant") > kinds.index("image")
    # Contoso: the connection in use stays, so the tenant keeps its grants.
    assert not any("roleAssignments" in w for w in writes[TENANT_IDS["contoso"]])

    report = load_report(report_dir, "teardown")
    deps = deployments(report)
    assert deps["contoso_northeurope"]["status"] == "failed"
    assert "Contoso NEU" in deps["contoso_northeurope"]["failed"]["message"]
    # The tenant's first host also deleted its image (not in use), once.
    assert deps["contoso_westeurope"]["changes"] == ["deleted Azure network connection anc-contoso-westeurope",
                                                     "deleted image Win11 Contoso 1.0.0"]
    assert "Win11 Contoso" not in state
    # Deleting a connection makes Windows 365 drop its resource group and vnet grants itself; the subscription
    # Reader grant, shared by the tenant's connections and images, goes last.
    fabrikam_changes = deps["fabrikam_eastus"]["changes"] + deps["fabrikam_westeurope"]["changes"]
    assert "removed Reader on /subscriptions/%s" % SUBS["fabrikam"] in fabrikam_changes
    fabrikam_sp = fabrikam["windows365_service_principal"]["object_id"]
    fabrikam_state = next(t for t in box.state()["tenants"] if t["id"] == TENANT_IDS["fabrikam"])
    assert [a for a in fabrikam_state["role_assignments"] if a["properties"]["principalId"] == fabrikam_sp] == []
    contoso_sp = contoso["windows365_service_principal"]["object_id"]
    contoso_state = next(t for t in box.state()["tenants"] if t["id"] == TENANT_IDS["contoso"])
    assert any(a["properties"]["principalId"] == contoso_sp for a in contoso_state["role_assignments"])


def test_shipped_sandbox_inventory_on_the_demo_seed_without_secrets_at_vvvv(sandbox, run_playbook, tmp_path):
    """What `make demo` runs: playbooks/inventory/sandbox on the demo seed, hybrid join with delegated sign-in."""
    report_dir = tmp_path / "reports"
    res = run_playbook(ROLLOUT, inventory=REPO / "playbooks" / "inventory" / "sandbox", forks=8, verbosity=4,
                       extra_vars={"w365_report_dir": str(report_dir)},
                       env={"W365_SANDBOX_URL": sandbox.url, "W365_SANDBOX_CA": sandbox.ca_bundle})
    report = load_report(report_dir, "rollout")
    # fabrikam_westus2 is broken on purpose (its subnet cannot take the planned Cloud PCs); all else converges.
    assert report["summary"]["failed_deployments"] == ["fabrikam_westus2"], res
    deps = deployments(report)
    assert "subnet_capacity" in deps["fabrikam_westus2"]["failed"]["message"]
    assert deps["fabrikam_eastus"]["network_connection"]["health_check_status"] in ("passed", "warning")
    secrets = []
    for tenant in sandbox.seed["tenants"]:
        secrets += [app["secret"] for app in tenant.get("apps", []) if app.get("secret")]
        secrets += [user["password"] for user in tenant.get("users", [])]
        secrets += [account["password"] for domain in tenant.get("ad_domains", [])
                    for account in domain["join_accounts"]]
    assert secrets
    texts = [res.stdout, res.stderr] + [p.read_text(encoding="utf-8") for p in report_dir.iterdir()]
    for secret in secrets:
        for text in texts:
            assert secret not in text


def test_failed_health_checks_and_uploads_fail_only_themselves_with_remedies(
        sandbox_factory, run_playbook, tmp_path):
    seed = copy.deepcopy(SEED)
    contoso = seed["tenants"][0]
    contoso["subscriptions"][0]["resource_groups"][2]["images"].append(
        {"name": "win11-not-generalized", "generation": 2, "generalized": False, "size_gb": 64})
    images = dict(IMAGES, contoso=[
        {"name": "Win11 Raw", "version": "0.1.0",
         "source_image_id": _image("contoso", "rg-images", "win11-not-generalized")}] + IMAGES["contoso"])
    vnet = "/subscriptions/%s/resourceGroups/rg-cpc-weu/providers/Microsoft.Network/virtualNetworks/vnet-cpc-weu" \
        % SUBS["contoso"]
    contoso["ad_domains"] = [{"name": "corp.contoso.com", "resolvable_from": [vnet],
                              "join_accounts": [{"upn": "svc-join@corp.contoso.com", "password": "Join-Pw-Contoso-1"}],
                              "organizational_units": ["OU=CloudPCs,DC=corp,DC=contoso,DC=com"]}]
    box = sandbox_factory(seed)
    hosts = copy.deepcopy(DEPLOYMENTS)
    hosts["contoso"]["contoso_westeurope"]["w365_network_connection"].update(
        join_type="hybrid_join", ad_domain_name="corp.contoso.com", ad_domain_username="svc-join@corp.contoso.com",
        ad_domain_password="Join-Pw-Contoso-1", organizational_unit="OU=Missing,DC=corp,DC=contoso,DC=com")
    inventory = write_inventory(tmp_path / "inv", box, tenants=("contoso",), deployments_=hosts, images_=images)
    report_dir = tmp_path / "reports"
    res = run_playbook(ROLLOUT, inventory=inventory, forks=4, extra_vars={"w365_report_dir": str(report_dir)})
    assert res.rc != 0
    assert "Join-Pw-Contoso-1" not in res.stdout
    deps = deployments(load_report(report_dir, "rollout"))
    broken = deps["contoso_westeurope"]
    assert broken["failed"]["stage"] == "health checks", broken
    failed = broken["network_connection"]["failed_health_checks"]
    assert [c["error_type"] for c in failed] == ["adJoinCheckOrganizationalUnitNotFound"]
    assert failed[0]["recommended_action"]
    assert failed[0]["recommended_action"] in broken["failed"]["message"]
    # Its grants and connection were still made, and say so; the other region is untouched by the failure.
    assert any(c.startswith("created Azure network connection") for c in broken["changes"])
    assert deps["contoso_northeurope"]["status"] == "changed"
    assert deps["contoso_northeurope"]["network_connection"]["health_check_status"] == "passed"
    markdown = (report_dir / "rollout.md").read_text(encoding="utf-8")
    assert "adJoinCheckOrganizationalUnitNotFound" in markdown

    # A non-generalized source is refused before its upload (issue 12: checked before the write, so no upload wait
    # and no used-up version); the failure is recorded and the next image still goes ahead.
    tenant = load_report(report_dir, "rollout")["tenants"][0]
    assert [(f["name"], f["stage"]) for f in tenant["image_failures"]] == [("Win11 Raw", "image upload")]
    assert "generalized" in tenant["image_failures"][0]["message"]
    assert "sysprep" in tenant["image_failures"][0]["message"].lower()
    raw_posts = [r for r in box.requests() if r["method"] == "POST" and r["path"].endswith("/deviceImages")
                 and "win11-not-generalized" in json.dumps(r.get("body") or "")]
    assert raw_posts == []
    assert [(i["name"], i["status"]) for i in tenant["images"]] == [("Win11 Contoso", "ready")]
