# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 12, finding 4: an app-only sign-in in a tenant known to refuse app-only ANC writes sent three role grants
before the ANC POST got 403. With `w365_app_only_anc_writes: refused` the preflight stops it before any write."""
from __future__ import annotations

import copy
import json

import yaml

from tests.integration.test_rollout import (DEPLOYMENTS, ROLLOUT, SEED_PATH, TENANT_IDS, deployments, load_report,
                                            write_inventory)


def test_app_only_sign_in_in_a_refusing_tenant_writes_nothing(sandbox_factory, run_playbook, tmp_path):
    seed = yaml.safe_load(SEED_PATH.read_text(encoding="utf-8"))
    contoso = next(t for t in seed["tenants"] if t["id"] == TENANT_IDS["contoso"])
    contoso["app_only_anc_writes"] = "forbidden"
    box = sandbox_factory(seed)
    # A deployment that converges when the tenant accepts app-only writes (test_rollout), alone.
    hosts = {"contoso": {"contoso_northeurope": copy.deepcopy(DEPLOYMENTS["contoso"]["contoso_northeurope"])}}
    hosts["contoso"]["contoso_northeurope"]["w365_app_only_anc_writes"] = "refused"
    inventory = write_inventory(tmp_path / "inv", box, tenants=("contoso",), deployments_=hosts,
                                images_={"contoso": []})
    report_dir = tmp_path / "reports"
    box.clear_requests()
    res = run_playbook(ROLLOUT, inventory=inventory, extra_vars={"w365_report_dir": str(report_dir)})
    assert res.rc != 0
    assert box.writes() == []
    dep = deployments(load_report(report_dir, "rollout"))["contoso_northeurope"]
    assert dep["failed"]["stage"] == "preflight", dep
    assert "sign_in_anc_write" in json.dumps(dep["failed"]), dep
