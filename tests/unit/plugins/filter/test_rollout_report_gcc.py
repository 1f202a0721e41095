"""The rollout report's GCC tenant mapping row (issue 15)."""

from __future__ import annotations

from ansible_collections.w365.cloudpc.plugins.filter import rollout_report as rr

GOV = "9cc00000-0000-4000-8000-0000000000a2"


def record(**extra):
    base = {"host": "gcc_usgovvirginia", "tenant": "gccco", "tenant_id": "tid", "region": "usgovvirginia",
            "failed": None, "preflight": {}, "network_connection": {}, "images": [], "image_failures": []}
    base.update(extra)
    return base


MAPPED_NOW = {"changed": True, "gov_tenant_id": GOV, "mapping": {"id": "tid", "organization_ids_in_us_gov_cloud": [GOV]},
              "service_principal": {"object_id": "sp1", "created": True, "present": True}}


def test_mapping_row_and_change():
    dep = rr.deployment_summary(record(gov_tenant_mapping=MAPPED_NOW))
    assert dep["gov_tenant_mapping"]["mapped_to"] == [GOV] and dep["gov_tenant_mapping"]["changed"] is True
    assert any("mapped to Azure Government tenant %s" % GOV in c for c in dep["changes"])
    report = rr.rollout_report([record(gov_tenant_mapping=MAPPED_NOW)], generated_at="t")
    md = rr.rollout_report_markdown(report)
    assert "GCC tenant mapping: Azure Government tenant %s (mapped now)" % GOV in md
    assert "GCC tenant mapping" in rr.rollout_report_html(report)


def test_unchanged_mapping_adds_no_change_and_other_clouds_no_row():
    same = dict(MAPPED_NOW, changed=False, service_principal={"object_id": "sp1", "created": False})
    dep = rr.deployment_summary(record(gov_tenant_mapping=same))
    assert dep["changes"] == [] and dep["gov_tenant_mapping"]["changed"] is False
    dep = rr.deployment_summary(record())
    assert dep["gov_tenant_mapping"] == {}
    assert "GCC tenant mapping" not in rr.rollout_report_markdown(rr.rollout_report([record()], generated_at="t"))
