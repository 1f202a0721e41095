"""The report filters: grouping per tenant, stages, change lists, escaping, and the tenant sign-in merge."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.w365.cloudpc.plugins.filter import rollout_report as rr


def record(host, tenant, region, **extra):
    base = {"host": host, "tenant": tenant, "tenant_id": "tid-" + tenant, "region": region, "failed": None,
            "preflight": {}, "network_connection": {}, "images": [], "image_failures": []}
    base.update(extra)
    return base


CONNECTION = {
    "name": "anc-weu",
    "connection": {"id": "c1", "name": "anc-weu", "health_check_status": "failed", "health_checks": [
        {"name": "Azure AD device sync", "status": "warning", "error_type": None},
        {"name": "Subnet IP", "status": "failed", "error_type": "resourceAvailabilityCheckNoSubnetIP",
         "recommended_action": "Widen the subnet", "additional_detail": None}]},
    "grants": [{"role_name": "Reader", "scope": "/subscriptions/s", "changed": True, "assignment_id": "a1"},
               {"role_name": "Windows 365 Network User", "scope": "/subscriptions/s/vnet", "changed": False}],
    "legacy_grants": [],
    "connection_changed": True,
}
PREFLIGHT = {"summary": {"status": "warning", "total": 3, "passed": 2, "warning": 1, "failed": 0, "skipped": 0},
             "checks": [{"name": "subscription", "status": "passed", "detail": "ok", "remedy": None},
                        {"name": "anc_limit", "status": "passed", "detail": "", "remedy": None,
                         "data": {"already_exists": False}},
                        {"name": "role_grants", "status": "warning", "detail": "missing", "remedy": "grant"}]}


def test_groups_by_tenant_and_counts():
    report = rr.rollout_report([
        record("b_weu", "b", "westeurope"),
        record("a_neu", "a", "northeurope", failed={"task": "Run the Windows 365 preflight checks", "message": "x"}),
        record("a_weu", "a", "westeurope", network_connection=CONNECTION, preflight=PREFLIGHT),
    ], generated_at="T", playbook="rollout")
    assert [t["name"] for t in report["tenants"]] == ["a", "b"]
    assert [d["host"] for d in report["tenants"][0]["deployments"]] == ["a_neu", "a_weu"]
    summary = report["summary"]
    assert (summary["deployments"], summary["ok"], summary["changed"], summary["failed"]) == (3, 1, 1, 1)
    assert summary["failed_tenants"] == ["a"]
    assert summary["failed_deployments"] == ["a_neu"]
    assert report["tenants"][0]["status"] == "failed"
    assert report["tenants"][1]["status"] == "ok"


def test_changes_and_connection_summary():
    dep = rr.deployment_summary(record("a_weu", "a", "westeurope", network_connection=CONNECTION, preflight=PREFLIGHT))
    assert dep["changes"] == ["granted Reader on /subscriptions/s", "created Azure network connection anc-weu"]
    assert [c["name"] for c in dep["network_connection"]["failed_health_checks"]] == ["Subnet IP"]
    # Only the checks worth reading are kept in the report; "grants missing" is no warning when the rollout creates
    # them in the next step.
    assert dep["preflight"]["checks"] == []
    assert dep["preflight"]["summary"]["status"] == "passed" and dep["preflight"]["summary"]["warning"] == 0
    kept = rr.deployment_summary(record("a_weu", "a", "westeurope", network_connection=CONNECTION, preflight=PREFLIGHT,
                                        manage_grants=False))
    assert [c["name"] for c in kept["preflight"]["checks"]] == ["role_grants"]


def test_existing_connection_is_updated_not_created():
    preflight = {"summary": PREFLIGHT["summary"], "checks": [
        {"name": "anc_limit", "status": "passed", "detail": "", "remedy": None, "data": {"already_exists": True}}]}
    dep = rr.deployment_summary(record("h", "a", "r", network_connection=CONNECTION, preflight=preflight))
    assert "updated Azure network connection anc-weu" in dep["changes"]


def test_explicit_changes_win(tmp_path):
    dep = rr.deployment_summary(record("h", "a", "r", network_connection=CONNECTION, changes=["deleted x"]))
    assert dep["changes"] == ["deleted x"]


def test_preflight_failure_names_checks_once():
    preflight = {"summary": {"status": "failed", "total": 12, "failed": 2},
                 "checks": [{"name": "subnet_capacity", "status": "failed", "detail": "d", "remedy": "r"},
                            {"name": "windows365_service_principal", "status": "failed", "detail": "d", "remedy": "r"}]}
    dep = rr.deployment_summary(record("h", "a", "r", preflight=preflight, failed={
        "task": "Fail the preflight once, listing every failed check with its remedy", "message": "long text"}))
    assert dep["failed"]["stage"] == "preflight"
    assert dep["failed"]["message"] == ("Preflight failed 2 of 12 checks: subnet_capacity, "
                                        "windows365_service_principal. Nothing was changed.")


@pytest.mark.parametrize("task,stage", [
    ("Run the Windows 365 preflight checks", "preflight"),
    ("Grant Windows 365 the Azure roles the connection needs", "role grants"),
    ("Create or update the Azure network connection and wait for its health checks", "connection"),
    ("Fail when the health checks failed, listing each with its recommended action", "health checks"),
    ("Upload the image and wait until it is ready", "image upload"),
    ("Grant Windows 365 Reader on the source image subscription", "role grants"),
    ("Validating arguments against arg spec 'main'", "inputs"),
    ("Something else", "Something else"),
])
def test_stage_names(task, stage):
    assert rr.rollout_stage(task) == stage


def test_images_belong_to_the_tenant():
    image = {"name": "Golden", "version": "1.0.0", "image": {"id": "i1", "status": "ready"}, "image_changed": True,
             "changed": True, "grants": []}
    failure = {"name": "Bad", "version": "2.0.0", "task": "Upload the image and wait until it is ready",
               "message": "sourceImageNotGeneralized", "image": {"status": "failed",
                                                                 "error_code": "sourceImageNotGeneralized"}}
    report = rr.rollout_report([record("a_weu", "a", "westeurope", images=[image], image_failures=[failure]),
                                record("a_neu", "a", "northeurope")])
    tenant = report["tenants"][0]
    assert [i["name"] for i in tenant["images"]] == ["Golden"]
    assert tenant["image_failures"][0]["error_code"] == "sourceImageNotGeneralized"
    assert tenant["image_failures"][0]["stage"] == "image upload"
    assert tenant["status"] == "failed"
    assert report["summary"]["image_failures"] == 1
    assert "uploaded image Golden 1.0.0" in tenant["deployments"][1]["changes"]


def test_markdown_and_html_escape_service_text():
    evil = '<img src="https://x/y.png"> | *bold* `code`'
    connection = dict(CONNECTION, connection=dict(CONNECTION["connection"], health_checks=[
        {"name": "Subnet IP", "status": "failed", "error_type": "x", "recommended_action": evil}]))
    report = rr.rollout_report([record("h", "t<1>", "westeurope", network_connection=connection, preflight=PREFLIGHT,
                                       failed={"task": "Create or update the Azure network connection", "message": evil})],
                               generated_at="2026-01-01T00:00:00Z")
    html = rr.rollout_report_html(report)
    assert "<img" not in html and "&lt;img src=&quot;https://x/y.png&quot;&gt;" in html
    assert "t&lt;1&gt;" in html
    assert "<script" not in html
    markdown = rr.rollout_report_markdown(report)
    assert "\\<img" in markdown and "\\|" in markdown and "\\*bold\\*" in markdown
    # Every table row keeps its column count.
    for line in markdown.splitlines():
        if line.startswith("| ") and "---" not in line:
            assert line.replace("\\|", "").count("|") in (4, 6, 8)
    assert "Failed in connection" in markdown


def test_check_mode_and_titles():
    for playbook, title in (("rollout", "rollout report"), ("report", "estate report"),
                            ("teardown", "teardown report")):
        report = rr.rollout_report([], playbook=playbook, check_mode=True)
        assert title in rr.rollout_report_markdown(report)
        assert "check mode" in rr.rollout_report_html(report)


def test_format_lines():
    assert rr.format_check({"name": "n", "status": "failed", "detail": "d", "remedy": "r"}) == "n (failed): d Remedy: r"
    assert rr.format_health_check({"name": "DNS", "status": "failed", "error_type": "dnsCheckFqdnNotFound",
                                   "additional_detail": "nope", "recommended_action": "fix DNS"}) == \
        "DNS (failed) [dnsCheckFqdnNotFound]: nope Recommended action: fix DNS"


class TestTenantSignin:
    COMMON = {"authority_host": "https://h", "ca_bundle": "/ca.pem"}

    def test_later_sources_win(self):
        merged = rr.tenant_signin(self.COMMON, {"tenant_id": "t", "client_secret": "inv"},
                                  {"contoso": {"client_secret": "map"}}, "contoso")
        assert merged == {"authority_host": "https://h", "ca_bundle": "/ca.pem", "tenant_id": "t",
                          "client_secret": "map"}

    def test_yaml_text_as_awx_injects_it(self):
        merged = rr.tenant_signin({}, {}, '{"contoso": {"tenant_id": "t2", "client_secret": ""}}', "contoso")
        # Empty values count as unset, so the environment can supply them.
        assert merged == {"tenant_id": "t2"}

    def test_other_tenants_untouched_and_empty_map(self):
        assert rr.tenant_signin({}, {"tenant_id": "t"}, {"other": {"tenant_id": "x"}}, "contoso") == {"tenant_id": "t"}
        assert rr.tenant_signin({}, {"tenant_id": "t"}, "", "contoso") == {"tenant_id": "t"}

    def test_wrong_shape_never_echoes_the_value(self):
        with pytest.raises(AnsibleFilterError) as err:
            rr.tenant_signin({}, {}, "- secret-in-a-list", "contoso")
        assert "secret-in-a-list" not in str(err.value)
