"""Tenant-level `w365_provisioning_policies` in the rollout inventory (module_utils/_inventory.py): pure, no network.

Every bad entry is refused before any request, naming the inventory variable (the index and key) and the fix.
"""

from __future__ import annotations

import copy

import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils import _inventory as inv

from test_inventory import DELETE, SECRET, base, validate

POLICY = {
    "name": "A Cloud PCs",
    "description": "Cloud PCs of tenant a",
    "provisioning_type": "dedicated",
    "network": ["anc-a-weu", {"anc": "anc-a-neu"}],
    "image": {"name": "Golden", "version": "1.0.0"},
    "assignments": ["Cloud PC Users"],
    "single_sign_on": True,
    "naming_template": "CPC-%USERNAME:4%-%RAND:5%",
    "windows_language": "en-US",
}


def with_policies(*policies, hosts_=("a_weu", "a_neu")):
    hosts = copy.deepcopy(base())
    for host in hosts_:
        hosts[host][inv.POLICY_VAR] = copy.deepcopy(list(policies))
    return hosts


def policy(**changes):
    entry = copy.deepcopy(POLICY)
    for key, value in changes.items():
        if value is DELETE:
            entry.pop(key, None)
        else:
            entry[key] = value
    return entry


def test_a_sound_policy_passes():
    assert validate(with_policies(POLICY)) == []


def test_existing_references_and_hosted_network_pass():
    entry = policy(network=["anc-a-weu", {"anc": "anc-made-by-hand", "existing": True}],
                   image={"name": "Old", "version": "0.9.0", "existing": True})
    hosted = policy(name="A hosted", network=[{"region": "automatic", "region_group": "europeUnion"}],
                    image={"type": "gallery", "name": "Windows 11 Enterprise + Microsoft 365 Apps 24H2"})
    any_version = policy(name="A latest", image={"type": "custom", "name": "golden"}, assignments=[],
                         provisioning_type="shared_by_user", autopatch_group_id="", image_warning_days=30)
    assert validate(with_policies(entry, hosted, any_version)) == []


P = inv.POLICY_VAR + "[0]"

# (id, policies, variable the message must name)
CASES = [
    ("not a list", {"name": "x"}, inv.POLICY_VAR),
    ("entry not a mapping", ["A Cloud PCs"], P),
    ("unknown key, closest named", [policy(asignments=["x"])], P),
    ("old-style key network_connections", [policy(network_connections=["anc-a-weu"])], P),
    ("name missing", [policy(name=DELETE)], P + ".name"),
    ("name with control characters", [policy(name="A\x07")], P + ".name"),
    ("duplicate names", [POLICY, policy(name="a cloud pcs")], inv.POLICY_VAR + "[1].name"),
    ("provisioning type typo", [policy(provisioning_type="dedicate")], P + ".provisioning_type"),
    ("single sign-on not a bool", [policy(single_sign_on="perhaps")], P + ".single_sign_on"),
    ("image warning days negative", [policy(image_warning_days=-1)], P + ".image_warning_days"),
    ("no network", [policy(network=DELETE)], P + ".network"),
    ("network not a list", [policy(network="anc-a-weu")], P + ".network"),
    ("hosted network entry with a connection too", [policy(network=[{"anc": "anc-a-weu", "region": "westeurope"}])],
     P + ".network[0]"),
    ("hosted network hybrid join", [policy(network=[{"region": "westeurope", "join_type": "hybrid_join"}])],
     P + ".network[0].join_type"),
    ("network entry unknown key", [policy(network=[{"anc": "anc-a-weu", "primary": True}])], P + ".network[0]"),
    ("network entry without anc or region", [policy(network=[{"existing": True}])], P + ".network[0].anc"),
    ("connection the tenant does not define", [policy(network=["anc-a-weu", "anc-a-neuu"])], P + ".network[1].anc"),
    ("connection of another tenant", [policy(network=["anc-b-eus"])], P + ".network[0].anc"),
    ("connection listed twice", [policy(network=["anc-a-weu", "ANC-A-WEU"])], P + ".network[1]"),
    ("connection join type disagrees", [policy(network=[{"anc": "anc-a-weu", "join_type": "hybrid_join"}])],
     P + ".network[0].join_type"),
    ("connection join type typo", [policy(network=[{"anc": "anc-a-weu", "join_type": "entra"}])],
     P + ".network[0].join_type"),
    ("connections of two join types",
     [policy(network=["anc-a-weu", {"anc": "anc-h", "join_type": "hybrid_join", "existing": True}])], P + ".network"),
    ("connections and a hosted network", [policy(network=["anc-a-weu", {"region": "westeurope"}])], P + ".network"),
    ("no image", [policy(image=DELETE)], P + ".image"),
    ("image not a mapping", [policy(image="Golden")], P + ".image"),
    ("image type typo", [policy(image={"type": "galery", "name": "x"})], P + ".image.type"),
    ("gallery image with a version", [policy(image={"type": "gallery", "name": "x", "version": "1.0.0"})],
     P + ".image.version"),
    ("image the tenant does not list", [policy(image={"name": "Goldn", "version": "1.0.0"})], P + ".image"),
    ("image version the tenant does not list", [policy(image={"name": "Golden", "version": "2.0.0"})], P + ".image"),
    ("image version not semver", [policy(image={"name": "Golden", "version": "1.0"})], P + ".image.version"),
    ("image unknown key", [policy(image={"name": "Golden", "version": "1.0.0", "verison": "1"})], P + ".image"),
    ("image without name", [policy(image={"version": "1.0.0"})], P + ".image.name"),
    ("assignments not a list", [policy(assignments="Cloud PC Users")], P + ".assignments"),
    ("assignment group listed twice", [policy(assignments=["Cloud PC Users", "cloud pc users"])],
     P + ".assignments[1]"),
    ("assignment without group", [policy(assignments=[{"service_plan_id": "x"}])], P + ".assignments[0].group"),
    ("assignment unknown key", [policy(assignments=[{"group": "x", "grop": "y"}])], P + ".assignments[0]"),
]


@pytest.mark.parametrize("case_id,policies,variable", CASES, ids=[c[0] for c in CASES])
def test_each_bad_policy_entry_is_refused_naming_the_variable(case_id, policies, variable):
    hosts = copy.deepcopy(base())
    for host in ("a_weu", "a_neu"):
        hosts[host][inv.POLICY_VAR] = copy.deepcopy(policies)
    problems = validate(hosts)
    matching = [p for p in problems if p["variable"].startswith(variable)]
    assert matching, problems
    for problem in matching:
        assert problem["tenant"] == "a" and problem["host"] is None
        assert inv.POLICY_VAR in problem["message"]
        assert SECRET not in inv.format_problem(problem)


def test_unknown_reference_names_the_closest_and_the_fix():
    problems = validate(with_policies(policy(network=["anc-a-weu", "anc-a-neuu"]),
                                      policy(name="B", image={"name": "Goldne", "version": "1.0.0"})))
    messages = " ".join(p["message"] for p in problems)
    assert "did you mean 'anc-a-neu'?" in messages
    assert "existing: true" in messages
    assert "did you mean 'Golden 1.0.0'?" in messages


def test_unknown_key_names_the_closest_key():
    (problem,) = validate(with_policies(policy(asignments=["x"])))
    assert "did you mean 'assignments'?" in problem["message"]


def test_references_count_hosts_outside_the_limit():
    # --limit a_weu: anc-a-neu is defined on a host outside the run, and it is still the tenant's connection.
    assert validate(with_policies(POLICY), play_hosts=["a_weu"]) == []


def test_policies_differing_between_hosts_of_a_tenant():
    hosts = with_policies(POLICY)
    hosts["a_neu"][inv.POLICY_VAR] = []
    (problem,) = validate(hosts)
    assert problem["variable"] == inv.POLICY_VAR and "tenant-wide" in problem["message"]


def test_policies_of_a_tenant_outside_the_run_are_not_reported():
    hosts = with_policies(policy(network=["nope"]))
    assert validate(hosts, play_hosts=["b_eus"]) == []


def test_join_type_is_checked_against_the_connection_of_the_inventory():
    hosts = copy.deepcopy(base())
    hosts["b_eus"][inv.POLICY_VAR] = [policy(network=[{"anc": "anc-b-eus", "join_type": "hybrid_join"}],
                                             image={"name": "x", "version": "1.0.0", "existing": True})]
    assert validate(hosts) == []
    hosts["b_eus"][inv.POLICY_VAR][0]["network"][0]["join_type"] = "entra_join"
    (problem,) = validate(hosts)
    assert "hybrid_join" in problem["message"] and "b_eus" in problem["message"]


# --- the rollout's plan: what each policy uses, and why it is skipped -----------------------------------------

CONNECTIONS = [{"host": "a_weu", "name": "anc-a-weu", "join_type": "entra_join", "in_run": True},
               {"host": "a_neu", "name": "anc-a-neu", "join_type": "entra_join", "in_run": True}]


def record(host, failed=None, images=(), image_failures=(), changed=False, anc_id="anc-id"):
    return {"host": host, "tenant": "a", "failed": failed, "images": list(images),
            "image_failures": list(image_failures),
            "network_connection": {"name": host, "connection": {"id": anc_id} if anc_id else {},
                                   "connection_changed": changed}}


READY = {"name": "Golden", "version": "1.0.0", "status": "ready", "image": {"id": "img", "status": "ready"},
         "image_changed": False}


def test_plan_lists_connections_in_order_with_their_join_type_and_skips_nothing():
    (entry,) = inv.plan_policies([POLICY], CONNECTIONS, [record("a_weu", images=[READY]), record("a_neu")])
    assert entry["skip_reason"] is None and entry["deferred"] is None
    assert entry["network"] == [{"anc": "anc-a-weu", "join_type": "entra_join"},
                                {"anc": "anc-a-neu", "join_type": "entra_join"}]
    assert entry["image"] == {"type": "custom", "name": "Golden", "version": "1.0.0"}
    assert entry["assignments"] == [{"group": "Cloud PC Users"}]


def test_a_failed_connection_skips_the_policy_with_the_reason():
    failed = {"task": "Run the preflight checks", "message": "Preflight failed 1 of 12 checks: subnet_capacity."}
    (entry,) = inv.plan_policies([POLICY], CONNECTIONS, [record("a_weu", images=[READY]), record("a_neu", failed)])
    assert "anc-a-neu" in entry["skip_reason"] and "a_neu" in entry["skip_reason"]
    assert "subnet_capacity" in entry["skip_reason"]


def test_a_failed_image_skips_the_policy_with_the_reason():
    failure = {"name": "Golden", "version": "1.0.0", "message": "upload failed", "task": "Upload the image"}
    (entry,) = inv.plan_policies([POLICY], CONNECTIONS, [record("a_weu", image_failures=[failure]), record("a_neu")])
    assert "image Golden 1.0.0 failed: upload failed" in entry["skip_reason"]


def test_an_image_not_ready_skips_the_policy():
    pending = dict(READY, status="failed", image={"id": "img", "status": "failed"})
    (entry,) = inv.plan_policies([POLICY], CONNECTIONS, [record("a_weu", images=[pending]), record("a_neu")])
    assert "not ready" in entry["skip_reason"]


def test_a_failed_sign_in_skips_every_policy_of_the_tenant():
    failed = {"task": "Sign in to the tenant", "message": "AADSTS7000215 invalid client secret"}
    plan = inv.plan_policies([POLICY, policy(name="B")], CONNECTIONS, [record("a_weu", failed), record("a_neu", failed)])
    assert all("could not start" in p["skip_reason"] for p in plan)


def test_connections_outside_the_run_are_left_to_the_module():
    connections = [dict(CONNECTIONS[0]), dict(CONNECTIONS[1], in_run=False)]
    (entry,) = inv.plan_policies([POLICY], connections, [record("a_weu", images=[READY])])
    assert entry["skip_reason"] is None


def test_check_mode_defers_a_policy_whose_connection_or_image_would_be_created_first():
    new_image = dict(READY, image={}, image_changed=True, status=None)
    (entry,) = inv.plan_policies([POLICY], CONNECTIONS, [record("a_weu", images=[new_image]),
                                                         record("a_neu", changed=True, anc_id=None)],
                                 check_mode=True)
    assert entry["skip_reason"] is None
    assert "anc-a-neu" in entry["deferred"] and "Golden 1.0.0" in entry["deferred"]
    (entry,) = inv.plan_policies([POLICY], CONNECTIONS, [record("a_weu", images=[READY]), record("a_neu")],
                                 check_mode=True)
    assert entry["deferred"] is None


def test_plan_passes_hosted_networks_and_gallery_images_as_the_module_takes_them():
    hosted = policy(network=[{"region": "automatic", "region_group": "europeUnion"}],
                    image={"type": "gallery", "name": "Windows 11"}, assignments=DELETE)
    (entry,) = inv.plan_policies([hosted], CONNECTIONS, [record("a_weu"), record("a_neu")])
    assert entry["network"] == [{"region": "automatic", "region_group": "europeUnion"}]
    assert entry["image"] == {"type": "gallery", "name": "Windows 11"}
    assert entry["assignments"] is None and entry["skip_reason"] is None


def test_plan_drops_existing_marks_and_keeps_versionless_images():
    entry = policy(network=[{"anc": "anc-x", "existing": True}], image={"name": "Golden", "existing": True})
    (planned,) = inv.plan_policies([entry], CONNECTIONS, [record("a_weu", images=[READY])])
    assert planned["network"] == [{"anc": "anc-x", "join_type": "entra_join"}]
    assert planned["image"] == {"type": "custom", "name": "Golden"}
