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
            assert line.replace("\\|", "").count("|") in (4, 6, 7, 10)
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


# --- the report tells the truth about writes (issue 12 finding 6) --------------------------------------------------

FAILED_AFTER_GRANTS = {
    # What playbooks/tasks/deployment_network.yml records when w365_anc failed after w365_role_grant created grants.
    "name": "anc-weu",
    "connection": {},
    "grants": [{"role_name": "Reader", "scope": "/subscriptions/s", "changed": True, "assignment_id": "a1"},
               {"role_name": "Windows 365 Network User", "scope": "/subscriptions/s/vnet", "changed": True}],
    "legacy_grants": [],
    "grants_changed": True,
    "connection_changed": False,
}


def test_writes_before_a_failure_are_listed():
    dep = rr.deployment_summary(record("h", "a", "westeurope", network_connection=FAILED_AFTER_GRANTS, failed={
        "task": "Create or update the Azure network connection and wait for its health checks", "message": "403"}))
    assert dep["changes"] == ["granted Reader on /subscriptions/s", "granted Windows 365 Network User on "
                                                                    "/subscriptions/s/vnet"]
    assert [g["changed"] for g in dep["grants"]] == [True, True]
    report = rr.rollout_report([record("h", "a", "westeurope", network_connection=FAILED_AFTER_GRANTS, failed={
        "task": "Create or update the Azure network connection", "message": "403 Forbidden"})])
    assert report["tenants"][0]["deployments"][0]["status"] == "failed"
    markdown = rr.rollout_report_markdown(report)
    assert "granted Reader on /subscriptions/s" in markdown


def test_image_grants_before_an_image_failure_are_listed():
    failure = {"name": "Bad", "version": "1.0.0", "task": "Upload the image and wait until it is ready",
               "message": "boom", "image": {}, "grants": [{"role_name": "Reader", "scope": "/subscriptions/i",
                                                           "changed": True}]}
    dep = rr.deployment_summary(record("h", "a", "r", image_failures=[failure]))
    assert dep["changes"] == ["granted Reader on /subscriptions/i (for image Bad 1.0.0, which then failed)"]


def test_no_nothing_was_changed_under_changed():
    preflight = {"summary": {"status": "failed", "total": 12, "failed": 1},
                 "checks": [{"name": "subnet_capacity", "status": "failed", "detail": "d", "remedy": "r"}]}
    image = {"name": "Golden", "version": "1.0.0", "image": {"id": "i1", "status": "ready"}, "image_changed": True,
             "changed": True, "grants": []}
    report = rr.rollout_report([record("h", "a", "r", preflight=preflight, images=[image], failed={
        "task": "Fail the preflight once, listing every failed check with its remedy", "message": "x"})])
    for text in (rr.rollout_report_markdown(report), rr.rollout_report_html(report)):
        assert "Changed" in text and "uploaded image Golden 1.0.0" in text
        assert "nothing was changed" not in text.lower()


def test_no_images_none_above_an_image_failure():
    failure = {"name": "Bad", "version": "2.0.0", "task": "Upload the image and wait until it is ready",
               "message": "sourceImageNotGeneralized", "image": {"status": "failed"}}
    report = rr.rollout_report([record("h", "a", "r", image_failures=[failure])])
    for text in (rr.rollout_report_markdown(report), rr.rollout_report_html(report)):
        assert "None." not in text and "None in this run" not in text
        assert "Bad 2.0.0 failed" in text
    empty = rr.rollout_report([record("h", "a", "r")])
    assert "None in this run." in rr.rollout_report_markdown(empty)


def test_needs_action_comes_first_with_deployment_check_and_remedy():
    preflight = {"summary": {"status": "failed", "total": 12, "failed": 1},
                 "checks": [{"name": "subnet_capacity", "status": "failed", "detail": "d", "remedy": "Widen it"}]}
    failure = {"name": "Bad", "version": "2.0.0", "task": "Upload the image and wait until it is ready",
               "message": "m", "image": {"status": "failed", "error_remedy": "Run sysprep"}}
    report = rr.rollout_report([
        record("a_weu", "a", "westeurope", preflight=preflight, failed={
            "task": "Fail the preflight once, listing every failed check with its remedy", "message": "x"}),
        record("a_neu", "a", "northeurope", network_connection=CONNECTION, failed={
            "task": "Fail when the health checks failed, listing each with its recommended action", "message": "y"}),
        record("b_eus", "b", "eastus", image_failures=[failure]),
        record("c_eus", "c", "eastus", failed={"task": "Sign in to the tenant", "message": "AADSTS7000215: bad"}),
    ], inventory_problems=[{"host": "x", "tenant": "a", "variable": "w365_region", "message": "not a region"}])
    assert report["needs_action"] == [
        {"deployment": "x", "tenant": "a", "check": "inventory: w365_region", "remedy": "not a region"},
        {"deployment": "a_neu", "tenant": "a", "check": "health check: resourceAvailabilityCheckNoSubnetIP",
         "remedy": "Widen the subnet"},
        {"deployment": "a_weu", "tenant": "a", "check": "preflight: subnet_capacity", "remedy": "Widen it"},
        {"deployment": "b_eus", "tenant": "b", "check": "image Bad 2.0.0", "remedy": "Run sysprep"},
        {"deployment": "c_eus", "tenant": "c", "check": "sign-in", "remedy": "AADSTS7000215: bad"},
    ]
    assert report["summary"]["failed_hosts"] == ["a_neu", "a_weu", "b_eus", "c_eus"]
    markdown = rr.rollout_report_markdown(report)
    assert markdown.index("## Needs action") < markdown.index("## Tenant a")
    html = rr.rollout_report_html(report)
    assert html.index("Needs action") < html.index("Tenant a")


def test_html_wraps_long_words_at_phone_width():
    remedy = "Grant/subscriptions/" + "x" * 300
    report = rr.rollout_report([record("h", "a", "r", failed={"task": "Sign in to the tenant", "message": remedy})])
    html = rr.rollout_report_html(report)
    assert 'name="viewport" content="width=device-width' in html
    css = html[html.index("<style>"):html.index("</style>")]
    # Every element that holds service text wraps anywhere, so a 300-character ID never scrolls sideways at 450 px.
    assert "overflow-wrap:anywhere" in css
    rule = css[:css.index("{overflow-wrap:anywhere")].rsplit("}", 1)[-1].rsplit("\n", 1)[-1]
    for selector in ("p", "li", "td", "code", ".remedy"):
        assert selector in rule.split(",")
    assert "@media (max-width:600px)" in css
    # The remedy of the needs-action list is in a list item, not in a wide table.
    assert '<ul class="needs-action"><li>' in html and remedy in html


def test_scope_says_what_the_report_covers():
    report = rr.rollout_report([record("t_weu", "t", "westeurope")], scope={
        "hosts": ["t_weu"], "inventory_hosts": ["a", "b", "t_weu"], "limit": "tenant_t", "awx_job_id": 12,
        "awx_workflow_job_id": 10})
    scope = report["scope"]
    assert scope["partial"] is True and scope["inventory_hosts"] == 3
    assert scope["description"].startswith("This report covers 1 of the 3 deployments in the inventory "
                                           "(--limit tenant_t). AWX job 12 of workflow job 10")
    assert "AWX job 12" in rr.rollout_report_markdown(report) and "AWX job 12" in rr.rollout_report_html(report)


def test_tenant_signin_refuses_misspelled_secret_keys_without_the_value():
    with pytest.raises(AnsibleFilterError) as err:
        rr.tenant_signin({}, {"client_secert": "s3cret-value"}, None, "contoso")
    assert "did you mean 'client_secret'" in str(err.value) and "s3cret-value" not in str(err.value)
    with pytest.raises(AnsibleFilterError) as err:
        rr.tenant_signin({}, {}, '{"contoso": {"client_secret": "s3cret-value" "client_id": "x"}}', "contoso")
    assert "s3cret-value" not in str(err.value) and "line 1" in str(err.value)
    assert err.value.__context__ is None and err.value.__cause__ is None


def test_teardown_report_shows_the_grants_it_kept_and_why():
    kept = [{"role_name": "Reader", "scope": "/subscriptions/s", "assignment_id": "/x/a9",
             "reason": "not created by this collection (no w365.cloudpc marker)"}]
    rec = record("h", "a", "r", changes=["deleted Azure network connection anc-weu"], kept_grants=kept)
    dep = rr.deployment_summary(rec)
    assert dep["kept_grants"] == [{"role_name": "Reader", "scope": "/subscriptions/s", "assignment_id": "/x/a9",
                                   "reason": "not created by this collection (no w365.cloudpc marker)"}]
    report = rr.rollout_report([rec], generated_at="T", playbook="teardown")
    markdown = rr.rollout_report_markdown(report)
    assert "Kept: Reader on /subscriptions/s: not created by this collection" in markdown
    html = rr.rollout_report_html(report)
    assert "Kept:" in html and "no w365.cloudpc marker" in html


# --- provisioning policies: one row per policy, in the tenant -------------------------------------------------

def policy_record(name="A Cloud PCs", **extra):
    base = {"name": name, "network": [{"anc": "anc-weu", "join_type": "entra_join"},
                                      {"anc": "anc-neu", "join_type": "entra_join"}],
            "image": {"type": "custom", "name": "Golden", "version": "1.0.0"},
            "assignments": [{"group": "Cloud PC Users"}], "skip_reason": None, "deferred": None,
            "result": {"changed": True, "policy": {"id": "p1"}, "diff": {"before": {}, "after": {"name": name}}}}
    base.update(extra)
    return base


def test_policy_rows_show_network_image_assignments_and_what_changed():
    report = rr.rollout_report([record("a_weu", "a", "westeurope", policies=[policy_record()]),
                                record("a_neu", "a", "northeurope")])
    tenant = report["tenants"][0]
    (row,) = tenant["policies"]
    assert row["status"] == "changed" and row["id"] == "p1"
    assert row["network"] == ["anc-weu (primary, entra_join)", "anc-neu (alternate, entra_join)"]
    assert row["image"] == "custom image Golden 1.0.0"
    assert row["assignments"] == ["Cloud PC Users"] and row["changes"] == ["created"]
    assert tenant["status"] == "changed"
    assert report["summary"]["policies"] == 1 and report["summary"]["policy_failures"] == 0
    assert report["summary"]["failed_hosts"] == []
    markdown, page = rr.rollout_report_markdown(report), rr.rollout_report_html(report)
    assert "### Provisioning policies" in markdown
    assert "| A Cloud PCs | changed | anc-weu (primary, entra\\_join); anc-neu (alternate, entra\\_join) |" in markdown
    assert "<h3>Provisioning policies</h3>" in page and "anc-neu (alternate, entra_join)" in page


def test_an_unchanged_policy_is_ok_and_lists_what_changed_otherwise():
    unchanged = policy_record(result={"changed": False, "policy": {"id": "p1"}})
    updated = policy_record(name="B", result={"changed": True, "diff": {
        "before": {"name": "B", "image": "old", "assignments": ["x"]},
        "after": {"name": "B", "image": "new", "assignments": ["y"]}}})
    report = rr.rollout_report([record("a_weu", "a", "westeurope", policies=[unchanged, updated])])
    rows = report["tenants"][0]["policies"]
    assert (rows[0]["status"], rows[0]["changes"]) == ("ok", [])
    assert rows[1]["changes"] == ["changed assignments, image"]


def test_a_skipped_or_failed_policy_fails_the_run_on_its_host_and_needs_action():
    skipped = policy_record(skip_reason="network connection anc-neu (host a_neu) failed: preflight. Nothing was sent.",
                            result={})
    failed = policy_record(name="B", result={"failed": True, "msg": "group 'Nobody' not found"})
    report = rr.rollout_report([record("a_weu", "a", "westeurope", policies=[skipped, failed]),
                                record("a_neu", "a", "northeurope")])
    tenant = report["tenants"][0]
    assert [p["status"] for p in tenant["policies"]] == ["skipped", "failed"]
    assert tenant["status"] == "failed" and report["summary"]["failed_tenants"] == ["a"]
    assert report["summary"]["policy_failures"] == 2
    # The run never looks green: the policy host fails (the deployments themselves are fine).
    assert report["summary"]["failed_hosts"] == ["a_weu"] and report["summary"]["failed_deployments"] == []
    checks = [(i["deployment"], i["check"]) for i in report["needs_action"]]
    assert ("a_weu", "provisioning policy A Cloud PCs (skipped)") in checks
    assert ("a_weu", "provisioning policy B (failed)") in checks
    assert "anc-neu" in rr.rollout_report_markdown(report)


def test_deferred_policy_in_check_mode_is_a_predicted_change_not_a_failure():
    deferred = policy_record(deferred="check mode: image Golden 1.0.0 would be uploaded first, so ...", result={})
    report = rr.rollout_report([record("a_weu", "a", "westeurope", policies=[deferred])], check_mode=True)
    (row,) = report["tenants"][0]["policies"]
    assert row["status"] == "changed" and "would be uploaded first" in row["reason"]
    assert report["summary"]["failed_hosts"] == []


def test_hosted_network_and_gallery_image_rows():
    row = rr.rollout_report([record("a_weu", "a", "westeurope", policies=[policy_record(
        network=[{"region": "automatic", "region_group": "europeUnion"}],
        image={"type": "gallery", "name": "Windows 11 Enterprise 24H2"})])])["tenants"][0]["policies"][0]
    assert row["network"] == ["Microsoft-hosted network automatic europeUnion (primary)"]
    assert row["image"] == "gallery image Windows 11 Enterprise 24H2"


def test_notes_about_existing_cloud_pcs_are_shown_with_the_change():
    note = "Existing Cloud PCs keep their image until reprovisioned; new ones get the new image."
    changed = policy_record(result={"changed": True, "notes": [note], "diff": {
        "before": {"image": "old"}, "after": {"image": "new"}}})
    unchanged = policy_record(name="B", result={"changed": False, "notes": [note]})
    report = rr.rollout_report([record("a_weu", "a", "westeurope", policies=[changed, unchanged])])
    rows = report["tenants"][0]["policies"]
    assert rows[0]["notes"] == [note] and rows[1]["notes"] == []
    assert "Existing Cloud PCs keep their image" in rr.rollout_report_markdown(report)
    assert "Existing Cloud PCs keep their image" in rr.rollout_report_html(report)


def test_the_estate_report_says_what_the_rollout_would_change():
    missing = policy_record(check_only=True)
    drifted = policy_record(name="B", check_only=True, result={"changed": True, "diff": {
        "before": {"image": "old"}, "after": {"image": "new"}}})
    rows = rr.rollout_report([record("a_weu", "a", "westeurope", policies=[missing, drifted])],
                             playbook="report")["tenants"][0]["policies"]
    assert rows[0]["changes"] == ["missing: the rollout would create it"]
    assert rows[1]["changes"] == ["differs: the rollout would change image"]
