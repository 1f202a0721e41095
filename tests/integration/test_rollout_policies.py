"""Provisioning policies in playbooks/rollout.yml and playbooks/teardown.yml, over the demo seed (issue 16).

The shipped sandbox inventory (playbooks/inventory/sandbox) gives each tenant one policy that uses its connections
of two regions and its custom image. As shipped, fabrikam_westus2 fails its preflight on purpose, so Fabrikam's
policy must be skipped with the reason and nothing sent for it; with that subnet fixed, both tenants get their
policy, and the second run sends no write. Teardown deletes the policies before the connections and images they
use, and only after unassigning is confirmed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
ROLLOUT = REPO / "playbooks" / "rollout.yml"
TEARDOWN = REPO / "playbooks" / "teardown.yml"
REPORT = REPO / "playbooks" / "report.yml"
INVENTORY = REPO / "playbooks" / "inventory" / "sandbox"
POLICIES = "/v1.0/deviceManagement/virtualEndpoint/provisioningPolicies"
ANCS = "/v1.0/deviceManagement/virtualEndpoint/onPremisesConnections"
IMAGES = "/v1.0/deviceManagement/virtualEndpoint/deviceImages"


def _env(box):
    return {"W365_SANDBOX_URL": box.url, "W365_SANDBOX_CA": box.ca_bundle}


def _inventory(tmp_path, fix_westus2):
    """A copy of the shipped sandbox inventory; fix_westus2 plans few enough Cloud PCs for its subnet."""
    target = tmp_path / "inventory"
    shutil.copytree(INVENTORY, target)
    if fix_westus2:
        hosts_file = target / "hosts.yml"
        hosts = yaml.safe_load(hosts_file.read_text(encoding="utf-8"))
        fabrikam = hosts["all"]["children"]["w365_tenants"]["children"]["tenant_fabrikam"]["hosts"]
        fabrikam["fabrikam_westus2"]["w365_network_connection"]["planned_cloud_pcs"] = 10
        hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False), encoding="utf-8")
    return target


def _report(report_dir, name):
    return json.loads((report_dir / ("%s.json" % name)).read_text(encoding="utf-8"))


def _policies(report):
    return {t["name"]: {p["name"]: p for p in t.get("policies") or []} for t in report["tenants"]}


def _tenant_state(box, tenant_id):
    return next(t for t in box.state()["tenants"] if t["id"] == tenant_id)


def _ids(box):
    return {t["domain"].split(".")[0]: t["id"] for t in box.seed["tenants"]}


def _by_id(items):
    return {i["id"]: i for i in items}


def test_rollout_creates_one_policy_per_tenant_over_two_regions_then_sends_no_write(
        sandbox, run_playbook, tmp_path):
    box = sandbox
    ids = _ids(box)
    inventory = _inventory(tmp_path, fix_westus2=True)
    report_dir = tmp_path / "reports"
    extra = {"w365_report_dir": str(report_dir)}

    first = run_playbook(ROLLOUT, inventory=inventory, extra_vars=extra, forks=4, env=_env(box))
    assert first.rc == 0, first.stdout[-4000:]
    report = _report(report_dir, "rollout")
    rows = _policies(report)
    assert report["summary"]["policies"] == 2 and report["summary"]["policy_failures"] == 0
    for tenant, policy, ancs, image in (
            ("contoso", "Contoso Cloud PCs", ["anc-contoso-weu", "anc-contoso-neu"], "Win11 Contoso Golden"),
            ("fabrikam", "Fabrikam Cloud PCs", ["anc-fabrikam-eus", "anc-fabrikam-wus2"], "Win10 Fabrikam Golden")):
        row = rows[tenant][policy]
        assert row["status"] == "changed" and row["id"], row
        assert [n.split(" ")[0] for n in row["network"]] == ancs
        assert row["image"] == "custom image %s 1.0.0" % image
        assert row["assignments"] == ["Cloud PC Users"]
        state = _tenant_state(box, ids[tenant])
        (created,) = [p for p in state["provisioning_policies"] if p["displayName"] == policy]
        connections = _by_id(state["network_connections"])
        # One policy per tenant, its connections of two regions in order (primary first), the tenant's image.
        assert [connections[c["onPremisesConnectionId"]]["displayName"]
                for c in created["domainJoinConfigurations"]] == ancs
        # ... on the virtual networks of two regions (rg-cpc-<region> in the demo seed).
        vnets = [connections[c["onPremisesConnectionId"]]["virtualNetworkId"].lower()
                 for c in created["domainJoinConfigurations"]]
        assert len({v.split("/resourcegroups/")[1].split("/")[0] for v in vnets}) == 2, vnets
        images = _by_id(state["device_images"])
        assert images[created["imageId"]]["displayName"] == image
        assert [a.get("groupId") for a in created["assignments"]] == [
            g["id"] for g in next(t for t in box.seed["tenants"] if t["id"] == ids[tenant])["groups"]
            if g["display_name"] == "Cloud PC Users"]
    markdown = (report_dir / "rollout.md").read_text(encoding="utf-8")
    assert "### Provisioning policies" in markdown and "Contoso Cloud PCs" in markdown
    assert "<h3>Provisioning policies</h3>" in (report_dir / "rollout.html").read_text(encoding="utf-8")

    # The policy is created only after every connection and image of its tenant.
    log = box.requests()
    for tenant_id in ids.values():
        writes = [(i, r) for i, r in enumerate(log) if (r.get("tenant") or "").lower() == tenant_id
                  and r["method"] not in ("GET", "HEAD") and r.get("service") == "graph"]
        policy_posts = [i for i, r in writes if r["method"] == "POST" and r["path"] == POLICIES]
        others = [i for i, r in writes if r["method"] == "POST" and r["path"] in (ANCS, IMAGES)]
        assert len(policy_posts) == 1 and others and max(others) < policy_posts[0]

    box.clear_requests()
    second = run_playbook(ROLLOUT, inventory=inventory, extra_vars=extra, forks=4, env=_env(box))
    assert second.rc == 0, second.stdout[-4000:]
    assert box.writes() == []
    assert {name: p["status"] for rows_ in _policies(_report(report_dir, "rollout")).values()
            for name, p in rows_.items()} == {"Contoso Cloud PCs": "ok", "Fabrikam Cloud PCs": "ok"}

    # The estate report (report.yml, read-only) checks each policy in check mode: in sync, no write.
    estate = run_playbook(REPORT, inventory=inventory, extra_vars=extra, forks=4, env=_env(box))
    assert estate.rc == 0, estate.stdout[-4000:]
    assert box.writes() == []
    assert {p["status"] for rows_ in _policies(_report(report_dir, "report")).values() for p in rows_.values()} == {
        "ok"}

    # Check mode on the converged estate asks the module, which predicts no change, and sends no write.
    checked = run_playbook(ROLLOUT, inventory=inventory, extra_vars=extra, forks=4, env=_env(box), check=True)
    assert checked.rc == 0, checked.stdout[-4000:]
    assert box.writes() == []
    assert {p["status"] for rows_ in _policies(_report(report_dir, "rollout")).values() for p in rows_.values()} == {
        "ok"}

    # Teardown in check mode: no write; the connections and the image are predicted deleted after the policy.
    box.clear_requests()
    predicted = run_playbook(TEARDOWN, inventory=inventory, extra_vars=dict(extra, w365_teardown_unassign=True),
                             forks=4, env=_env(box), limit="tenant_contoso", check=True)
    assert predicted.rc == 0, predicted.stdout[-4000:]
    assert box.writes() == []
    changes = [c for t in _report(report_dir, "teardown")["tenants"] for d in t["deployments"] for c in d["changes"]]
    for what in ("Azure network connection anc-contoso-weu", "Azure network connection anc-contoso-neu",
                 "image Win11 Contoso Golden 1.0.0"):
        assert "would delete %s after the provisioning policies that use it (Contoso Cloud PCs)" % what in " ".join(
            changes), changes
    assert "deleted provisioning policy Contoso Cloud PCs" in changes

    # Teardown without confirming the unassignment: the assigned policies are kept, and so are the connections and
    # images they use; the run fails.
    box.clear_requests()
    kept = run_playbook(TEARDOWN, inventory=inventory, extra_vars=dict(extra, w365_teardown_confirm="yes"), forks=4,
                        env=_env(box), limit="tenant_contoso")
    assert kept.rc != 0
    assert [w for w in box.writes() if w["method"] == "DELETE"] == []
    rows = _policies(_report(report_dir, "teardown"))
    assert rows["contoso"]["Contoso Cloud PCs"]["status"] == "failed"
    assert "assign" in rows["contoso"]["Contoso Cloud PCs"]["reason"].lower()

    # Confirmed: the policy goes first (assignments, then the policy), then the connections and the image.
    box.clear_requests()
    gone = run_playbook(TEARDOWN, inventory=inventory,
                        extra_vars=dict(extra, w365_teardown_confirm="yes", w365_teardown_unassign=True), forks=4,
                        env=_env(box), limit="tenant_contoso")
    assert gone.rc == 0, gone.stdout[-4000:]
    deletes = [r["path"] for r in box.writes() if r["method"] == "DELETE" and r.get("service") == "graph"]
    policy_deletes = [i for i, p in enumerate(deletes) if p.startswith(POLICIES + "/")]
    anc_deletes = [i for i, p in enumerate(deletes) if p.startswith(ANCS + "/")]
    image_deletes = [i for i, p in enumerate(deletes) if p.startswith(IMAGES + "/")]
    assert len(policy_deletes) == 1 and len(anc_deletes) == 2 and len(image_deletes) == 1, deletes
    assert policy_deletes[0] < min(anc_deletes + image_deletes)
    state = _tenant_state(box, ids["contoso"])
    assert state["provisioning_policies"] == [] and state["network_connections"] == []
    # Fabrikam, outside the limit, keeps its policy.
    assert [p["displayName"] for p in _tenant_state(box, ids["fabrikam"])["provisioning_policies"]] == [
        "Fabrikam Cloud PCs"]


def test_a_failed_connection_skips_its_policy_with_the_reason_and_the_run_fails(
        sandbox_factory, run_playbook, tmp_path):
    box = sandbox_factory(REPO / "w365_sandbox" / "seeds" / "demo.yml")
    ids = _ids(box)
    report_dir = tmp_path / "reports"
    inventory = _inventory(tmp_path, fix_westus2=False)

    # Check mode first, on an empty estate: no write; the policy whose connections and image would be created
    # first is a predicted change that says why the service was not asked; the one using the failing connection is
    # skipped.
    check = run_playbook(ROLLOUT, inventory=inventory, forks=4, env=_env(box), check=True,
                         extra_vars={"w365_report_dir": str(report_dir)}, in_process=False)
    assert check.rc != 0
    assert box.writes() == []
    rows = _policies(_report(report_dir, "rollout"))
    predicted = rows["contoso"]["Contoso Cloud PCs"]
    assert predicted["status"] == "changed" and "would be created or changed first" in predicted["reason"]
    assert rows["fabrikam"]["Fabrikam Cloud PCs"]["status"] == "skipped"

    res = run_playbook(ROLLOUT, inventory=inventory, forks=4, env=_env(box),
                       extra_vars={"w365_report_dir": str(report_dir)}, in_process=False)
    assert res.rc != 0
    report = _report(report_dir, "rollout")
    rows = _policies(report)
    skipped = rows["fabrikam"]["Fabrikam Cloud PCs"]
    assert skipped["status"] == "skipped"
    assert "anc-fabrikam-wus2" in skipped["reason"] and "fabrikam_westus2" in skipped["reason"]
    assert rows["contoso"]["Contoso Cloud PCs"]["status"] == "changed"
    assert report["summary"]["policy_failures"] == 1
    assert "fabrikam" in report["summary"]["failed_tenants"]
    assert any(i["check"] == "provisioning policy Fabrikam Cloud PCs (skipped)" for i in report["needs_action"])
    # Nothing was sent for the skipped policy; the other tenant's went ahead.
    posts = [r for r in box.writes() if r["path"].startswith(POLICIES)]
    assert {(r.get("tenant") or "").lower() for r in posts} == {ids["contoso"]}
    assert "Fabrikam Cloud PCs" in (report_dir / "rollout.md").read_text(encoding="utf-8")
