"""playbooks/rollout.yml on a customer-like estate: what it must refuse before any request, what it must never print,
and that a failed run always fails and always leaves a report (issues 12 and 18).

Each test runs real ansible-playbook against the sandbox (seeds/rollout.yml) and counts requests in its log.
"""

from __future__ import annotations

import copy
import json

import yaml

from tests.integration.test_rollout import (DEPLOYMENTS, IMAGES, REPO, ROLLOUT, SEED_PATH, TENANT_IDS, app_secret,
                                            deployments, load_report, write_inventory)


def texts_of(res, report_dir):
    """Everything a run leaves: stdout, stderr, every captured task result, every report file."""
    texts = {"stdout": res.stdout, "stderr": res.stderr, "results": json.dumps(res.results)}
    if report_dir.exists():
        for path in report_dir.iterdir():
            texts[path.name] = path.read_text(encoding="utf-8")
    return texts


def occurrences(secret, texts):
    return {name: text.count(secret) for name, text in texts.items() if secret in text}


def token_requests(box):
    return [r for r in box.requests() if r.get("service") == "entra" and r["path"].endswith("/token")]


def test_malformed_tenant_map_never_shows_the_secret_and_sends_nothing(sandbox_factory, run_playbook, tmp_path):
    """Issue 18: a missing comma in the AWX tenant map made the YAML error quote the secret 105 times."""
    box = sandbox_factory(SEED_PATH)
    inventory = write_inventory(tmp_path / "inv", box, tenants=("contoso", "fabrikam"))
    secret = app_secret("contoso")
    # JSON as an operator pastes it into the credential, with one comma missing after the secret.
    tenant_map = ('{"contoso": {"tenant_id": "%s", "client_secret": "%s" "client_id": "x"},\n'
                  ' "fabrikam": {"client_secret": "%s"}}' % (TENANT_IDS["contoso"], secret, app_secret("fabrikam")))
    report_dir = tmp_path / "reports"
    box.clear_requests()
    res = run_playbook(ROLLOUT, inventory=inventory, verbosity=4, forks=4,
                       extra_vars={"w365_report_dir": str(report_dir), "w365_tenant_credentials": tenant_map})
    assert res.rc != 0
    assert box.requests() == []
    for value in (secret, app_secret("fabrikam")):
        assert occurrences(value, texts_of(res, report_dir)) == {}
    report = load_report(report_dir, "rollout")
    problems = [p["message"] for p in report["inventory_problems"]]
    assert any("w365_tenant_credentials" in p and "tenant 'contoso'" in p and "line 1" in p for p in problems), problems
    assert "w365_tenant_credentials" in res.stdout


def test_misspelled_secret_options_are_refused_and_never_shown(sandbox_factory, run_playbook, tmp_path):
    """Issue 18: `client_secert` / `ad_domain_pasword` landed unmasked in the task result."""
    box = sandbox_factory(SEED_PATH)
    secret = app_secret("contoso")
    join_password = "Join-Pw-misspelled-never-shown"
    hosts = copy.deepcopy(DEPLOYMENTS)
    hosts["contoso"]["contoso_westeurope"]["w365_network_connection"]["ad_domain_pasword"] = join_password
    inventory = write_inventory(tmp_path / "inv", box, tenants=("contoso", "fabrikam"), deployments_=hosts,
                                auth_overrides={"contoso": {"client_secret": None, "client_secert": secret}})
    tenant_map = yaml.safe_dump({"fabrikam": {"ad_domain_pasword": app_secret("fabrikam")}})
    report_dir = tmp_path / "reports"
    box.clear_requests()
    res = run_playbook(ROLLOUT, inventory=inventory, verbosity=4, forks=4,
                       extra_vars={"w365_report_dir": str(report_dir), "w365_tenant_credentials": tenant_map})
    assert res.rc != 0
    assert box.requests() == []
    texts = texts_of(res, report_dir)
    for value in (secret, join_password, app_secret("fabrikam")):
        assert occurrences(value, texts) == {}
    messages = " ".join(p["message"] for p in load_report(report_dir, "rollout")["inventory_problems"])
    assert "'client_secert' (did you mean 'client_secret'?)" in messages
    assert "'ad_domain_pasword' (did you mean 'ad_domain_password'?)" in messages
    assert "w365_tenant_credentials" in messages


def test_duplicate_names_and_subnets_are_refused_with_zero_requests(sandbox_factory, run_playbook, tmp_path):
    """Issue 12 findings 2 and 'two deployments on one subnet': one clear failure listing every problem."""
    box = sandbox_factory(SEED_PATH)
    hosts = copy.deepcopy(DEPLOYMENTS)
    # Two hosts of contoso with the same connection name (different subnets).
    hosts["contoso"]["contoso_northeurope"]["w365_network_connection"]["name"] = "anc-contoso-westeurope"
    # Two fabrikam deployments on one subnet (different names).
    dup = hosts["fabrikam"]["fabrikam_eastus"]["w365_network_connection"]
    dup.update(resource_group="rg-cpc-weu", virtual_network="vnet-cpc-weu")
    # A region that is not an Azure region, and an image entry without source_image_id.
    hosts["tailspin"]["tailspin_westeurope"]["w365_region"] = "westeurop"
    images = dict(IMAGES, fabrikam=[{"name": "Win11 Fabrikam", "version": "2.1.0"}])
    inventory = write_inventory(tmp_path / "inv", box, deployments_=hosts, images_=images)
    report_dir = tmp_path / "reports"
    box.clear_requests()
    res = run_playbook(ROLLOUT, inventory=inventory, forks=5, extra_vars={"w365_report_dir": str(report_dir)})
    assert res.rc != 0
    # Not one request: no token, no read, no write.
    assert box.requests() == []
    report = load_report(report_dir, "rollout")
    problems = report["inventory_problems"]
    by_variable = {}
    for problem in problems:
        by_variable.setdefault(problem["variable"], []).append(problem)
    names = by_variable["w365_network_connection.name"]
    assert {p["host"] for p in names} == {"contoso_westeurope", "contoso_northeurope"}
    assert all("contoso_westeurope" in p["message"] and "contoso_northeurope" in p["message"] for p in names)
    assert {p["host"] for p in by_variable["w365_network_connection.subnet"]} == {
        "fabrikam_westeurope", "fabrikam_eastus"}
    assert "not an Azure region" in by_variable["w365_region"][0]["message"]
    assert by_variable["w365_images[0].source_image_id"]
    # One failure lists them all, in the output, and every deployment is failed in the report.
    failed = [r for r in res.results if r["status"] == "failed"]
    assert len(failed) == 1, [r["task"] for r in failed]
    assert all(p["text"] in json.dumps(failed[0]["result"]) for p in problems)
    assert report["summary"]["failed"] == 5
    assert len(report["needs_action"]) == len(problems)
    assert "Needs action" in (report_dir / "rollout.md").read_text(encoding="utf-8")


def test_limit_without_localhost_fails_with_a_report_and_publishes_the_summary(
        sandbox_factory, run_playbook, tmp_path):
    """Issue 12 finding 3: `--limit tenant_x` ended rc 0, failed=0 and no report."""
    box = sandbox_factory(SEED_PATH)
    inventory = write_inventory(tmp_path / "inv", box, tenants=("contoso", "tailspin"))
    report_dir = tmp_path / "reports"
    res = run_playbook(ROLLOUT, inventory=inventory, limit="tenant_tailspin",
                       extra_vars={"w365_report_dir": str(report_dir)})
    assert res.rc != 0
    assert res.stats["tailspin_westeurope"]["failures"] == 1
    report = load_report(report_dir, "rollout")
    assert report["summary"]["failed_deployments"] == ["tailspin_westeurope"]
    assert report["scope"]["limit"] == "tenant_tailspin"
    assert report["scope"]["hosts"] == ["tailspin_westeurope"] and report["scope"]["inventory_hosts"] == 3
    assert "covers 1 of the 3 deployments" in (report_dir / "rollout.md").read_text(encoding="utf-8")
    stats = res.result("Publish the summary for AWX (job artifacts)")
    assert stats["ansible_stats"]["data"]["w365_rollout_report"]["summary"]["failed"] == 1
    assert box.writes() == []


def test_an_awx_slice_reports_its_own_hosts_and_job(sandbox_factory, run_playbook, tmp_path):
    """Job slicing hands each slice job a pared-down inventory; the report and the artifacts say which job it is."""
    box = sandbox_factory(SEED_PATH)
    inventory = write_inventory(tmp_path / "inv", box, tenants=("tailspin",))
    report_dir = tmp_path / "reports"
    res = run_playbook(ROLLOUT, inventory=inventory, check=True, extra_vars={
        "w365_report_dir": str(report_dir), "awx_job_id": 4102, "awx_workflow_job_id": 4100,
        "w365_report_name": "rollout-4102"})
    assert res.rc != 0
    report = load_report(report_dir, "rollout-4102")
    assert report["scope"]["awx_job_id"] == 4102 and report["scope"]["awx_workflow_job_id"] == 4100
    assert "AWX job 4102 of workflow job 4100" in report["scope"]["description"]
    data = res.result("Publish the summary for AWX (job artifacts)")["ansible_stats"]["data"]
    assert data["w365_rollout_report_job_4102"]["scope"]["hosts"] == ["tailspin_westeurope"]


def test_the_report_keeps_the_writes_made_before_a_failure(sandbox_factory, run_playbook, tmp_path):
    """Issue 12 finding 6: a deployment that failed after writing grants reported empty grants and changes."""
    box = sandbox_factory(SEED_PATH)
    inventory = write_inventory(tmp_path / "inv", box, tenants=("fabrikam",),
                                images_=dict(IMAGES, fabrikam=[]))
    box.fault({"method": "POST", "path": "onPremisesConnections$", "service": "graph", "status": 400,
               "code": "BadRequest"})
    report_dir = tmp_path / "reports"
    res = run_playbook(ROLLOUT, inventory=inventory, forks=2, extra_vars={"w365_report_dir": str(report_dir)})
    assert res.rc != 0
    # Grants that took effect (both regions of the tenant may send the shared subscription Reader at once; the
    # second gets "exists" and changed nothing).
    grant_writes = [w for w in box.writes() if "roleAssignments" in w["path"] and 200 <= w["status"] < 300]
    assert grant_writes
    report = load_report(report_dir, "rollout")
    deps = deployments(report)
    reported = []
    for dep in deps.values():
        assert dep["failed"]["stage"] == "connection", dep["failed"]
        granted = [g for g in dep["grants"] if g["changed"]]
        assert granted, dep
        assert all(any(c.startswith("granted %s" % g["role_name"]) for c in dep["changes"]) for g in granted)
        reported += granted
    # Every grant the sandbox accepted is in the report, under the deployment that sent it.
    assert len(reported) == len(grant_writes)
    markdown = (report_dir / "rollout.md").read_text(encoding="utf-8")
    assert markdown.index("## Needs action") < markdown.index("## Tenant fabrikam")
    assert "nothing was changed" not in markdown.lower()


def test_a_wrong_secret_is_tried_once_per_tenant(sandbox_factory, run_playbook, tmp_path):
    """Issue 12 finding 5: a wrong secret was tried 3-4 times per run (Entra smart lockout)."""
    box = sandbox_factory(SEED_PATH)
    inventory = write_inventory(tmp_path / "inv", box, tenants=("contoso", "fabrikam"), auth_overrides={
        "contoso": {"client_secret": "wrong-secret-contoso"}, "fabrikam": {"client_secret": "wrong-secret-fabrikam"}})
    report_dir = tmp_path / "reports"
    box.clear_requests()
    res = run_playbook(ROLLOUT, inventory=inventory, forks=4, extra_vars={"w365_report_dir": str(report_dir)})
    assert res.rc != 0
    tokens = token_requests(box)
    per_tenant = {}
    for request in tokens:
        per_tenant.setdefault(request["tenant"], []).append(request["status"])
    assert {t: len(s) for t, s in per_tenant.items()} == {TENANT_IDS["contoso"]: 1, TENANT_IDS["fabrikam"]: 1}, tokens
    assert all(status >= 400 for statuses in per_tenant.values() for status in statuses)
    assert box.writes() == []
    deps = deployments(load_report(report_dir, "rollout"))
    assert {d["failed"]["stage"] for d in deps.values()} == {"sign-in"}
    assert all("AADSTS" in d["failed"]["message"] for d in deps.values())
    for host in ("contoso_westeurope", "contoso_northeurope", "fabrikam_westeurope", "fabrikam_eastus"):
        assert res.stats[host]["failures"] == 1


def test_the_example_inventory_without_its_vault_is_refused_naming_each_variable(run_playbook, tmp_path):
    """Undefined vault variables are inventory problems, named by variable and key, found before any request."""
    report_dir = tmp_path / "reports"
    res = run_playbook(ROLLOUT, inventory=REPO / "playbooks" / "inventory" / "example",
                       extra_vars={"w365_report_dir": str(report_dir)})
    assert res.rc != 0
    problems = load_report(report_dir, "rollout")["inventory_problems"]
    variables = {(p["host"], p["variable"]) for p in problems}
    assert ("contoso_northeurope", "w365_network_connection.ad_domain_password") in variables
    assert ("fabrikam_eastus", "w365_auth.client_secret") in variables
    assert all("is undefined" in p["message"] for p in problems), problems
    # Nothing got as far as a module: no sign-in was tried.
    assert not [r for r in res.results if r["action"].startswith("w365.cloudpc.") and r["status"] != "skipped"]


def test_one_host_with_an_image_lacking_source_image_id_gets_a_report(sandbox_factory, run_playbook, tmp_path):
    """Issue 18: an image entry without source_image_id broke the rescue task; with one host, no report."""
    box = sandbox_factory(SEED_PATH)
    hosts = {"contoso": {"contoso_westeurope": DEPLOYMENTS["contoso"]["contoso_westeurope"]}}
    inventory = write_inventory(tmp_path / "inv", box, tenants=("contoso",), deployments_=hosts,
                                images_={"contoso": [{"name": "Win11 Contoso", "version": "1.0.0"}]})
    report_dir = tmp_path / "reports"
    box.clear_requests()
    res = run_playbook(ROLLOUT, inventory=inventory, extra_vars={"w365_report_dir": str(report_dir)})
    assert res.rc != 0
    assert box.requests() == []
    report = load_report(report_dir, "rollout")
    assert [(p["host"], p["variable"]) for p in report["inventory_problems"]] == [
        ("contoso_westeurope", "w365_images[0].source_image_id")]
    assert "w365_images[0].source_image_id" in res.stdout
