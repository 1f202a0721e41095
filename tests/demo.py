"""`make demo`: the multi-tenant rollout against the local sandbox, twice.

1. Starts the sandbox on w365_sandbox/seeds/demo.yml.
2. Runs playbooks/rollout.yml with playbooks/inventory/sandbox (tenants in parallel). One deployment
   (fabrikam_westus2) is broken on purpose: it must fail its preflight, with the remedy in the report, while every
   other deployment converges.
3. Runs the rollout again: nothing may change, and the sandbox must receive no write request.
4. Prints where the reports of both runs are and stops the sandbox.

Exits non-zero only on an unexpected outcome.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "w365_sandbox" / "seeds" / "demo.yml"
INVENTORY = REPO / "playbooks" / "inventory" / "sandbox"
PLAYBOOK = REPO / "playbooks" / "rollout.yml"
REPORT_DIR = REPO / "reports"
FIRST_REPORT = "rollout-first-run"
# Deployments the demo seed and inventory break on purpose; anything else failing is a real problem.
EXPECTED_FAILURES = {"fabrikam_westus2"}
# Each tenant's provisioning policy uses its connections of both regions: Fabrikam's is skipped (its West US 2
# connection fails on purpose), Contoso's is created, then left alone.
SKIPPED_POLICIES = {"Fabrikam Cloud PCs"}
CREATED_POLICIES = {"Contoso Cloud PCs"}
# Simulated seconds per real second: health checks (minutes in Azure) finish in seconds.
TIME_SCALE = 600.0
_RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)
# Variables that would point the modules elsewhere than the sandbox, or at another CA.
_SCRUB = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AZURE_")


def _say(text: str) -> None:
    print("\n==> %s" % text, flush=True)


def _env(sandbox) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUB)}
    env.update({
        "W365_SANDBOX_URL": sandbox.url,
        "W365_SANDBOX_CA": sandbox.ca_bundle,
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".build" / "collections"),
        "ANSIBLE_FORCE_COLOR": os.environ.get("ANSIBLE_FORCE_COLOR", "0"),
        "PATH": "%s%s%s" % (Path(sys.executable).parent, os.pathsep, os.environ.get("PATH", "")),
    })
    return env


def _rollout(sandbox, report_name) -> tuple[int, dict]:
    """Run the rollout, echoing its output; returns (rc, {host: recap counts})."""
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(INVENTORY), str(PLAYBOOK),
           "--forks", "8", "-e", "w365_report_dir=%s" % REPORT_DIR, "-e", "w365_report_name=%s" % report_name]
    proc = subprocess.Popen(cmd, cwd=str(REPO), env=_env(sandbox), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    rc = proc.wait()
    recap = {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)), "unreachable": int(m.group(4)),
                          "failed": int(m.group(5))} for m in _RECAP.finditer("".join(lines))}
    return rc, recap


def _requests(sandbox) -> list:
    context = ssl.create_default_context(cafile=sandbox.ca_bundle)
    req = urllib.request.Request(sandbox.url + "/_emulator/requests", headers=sandbox.control_headers())
    with urllib.request.urlopen(req, context=context, timeout=30) as resp:
        data = json.loads(resp.read())
    return data["requests"] if isinstance(data, dict) else data


def _writes(sandbox) -> list:
    return [r for r in _requests(sandbox)
            if r["method"].upper() not in ("GET", "HEAD") and r.get("service") in ("graph", "arm")]


def _clear_requests(sandbox) -> None:
    context = ssl.create_default_context(cafile=sandbox.ca_bundle)
    req = urllib.request.Request(sandbox.url + "/_emulator/requests", method="DELETE",
                                 headers=sandbox.control_headers())
    with urllib.request.urlopen(req, context=context, timeout=30):
        pass


def _report(name) -> dict:
    return json.loads((REPORT_DIR / ("%s.json" % name)).read_text(encoding="utf-8"))


def _check_run(rc: int, report: dict, first: bool) -> list[str]:
    problems = []
    failed = set(report["summary"]["failed_deployments"])
    if failed != EXPECTED_FAILURES:
        problems.append("failed deployments are %s, expected exactly %s"
                        % (sorted(failed) or "none", sorted(EXPECTED_FAILURES)))
    if report["summary"]["image_failures"]:
        problems.append("%d image uploads failed" % report["summary"]["image_failures"])
    for tenant in report["tenants"]:
        for dep in tenant["deployments"]:
            if dep["host"] in EXPECTED_FAILURES:
                if (dep.get("failed") or {}).get("stage") != "preflight":
                    problems.append("%s should fail in preflight, got %s" % (dep["host"], dep.get("failed")))
                elif not [c for c in dep["preflight"].get("checks", []) if c["status"] == "failed" and c["remedy"]]:
                    problems.append("%s: the report lists no failed check with a remedy" % dep["host"])
            elif first and dep["status"] != "changed":
                problems.append("%s: the first run changed nothing" % dep["host"])
            elif dep["network_connection"].get("health_check_status") not in ("passed", "warning"):
                problems.append("%s: connection health is %s" % (
                    dep["host"], dep["network_connection"].get("health_check_status")))
    policies = {p["name"]: p for t in report["tenants"] for p in t.get("policies") or []}
    for name in sorted(SKIPPED_POLICIES | CREATED_POLICIES):
        expected = "skipped" if name in SKIPPED_POLICIES else "changed" if first else "ok"
        status = (policies.get(name) or {}).get("status")
        if status != expected:
            problems.append("provisioning policy %s is %s, expected %s" % (name, status or "missing", expected))
    if rc == 0:
        problems.append("the rollout exited 0 although a deployment failed")
    return problems


def main() -> int:
    sys.path.insert(0, str(REPO))
    from w365_sandbox.launcher import start_emulator

    _say("Starting the sandbox with %s" % SEED.relative_to(REPO))
    sandbox = start_emulator(str(SEED), time_scale=TIME_SCALE)
    try:
        print("Sandbox at %s (CA %s)" % (sandbox.url, sandbox.ca_bundle))

        _say("Rollout, first run: every tenant and region in parallel (fabrikam_westus2 is broken on purpose)")
        rc = _rollout(sandbox, FIRST_REPORT)[0]
        report = _report(FIRST_REPORT)
        problems = _check_run(rc, report, first=True)
        first_writes = len(_writes(sandbox))
        _clear_requests(sandbox)

        _say("Rollout, second run: must change nothing")
        rc2, recap2 = _rollout(sandbox, "rollout")
        writes = _writes(sandbox)
        changed = {host: counts["changed"] for host, counts in recap2.items() if counts["changed"]}
        if changed:
            problems.append("second run changed something: %s" % changed)
        if writes:
            problems.append("second run sent %d write requests: %s" % (
                len(writes), ["%s %s" % (w["method"], w["path"]) for w in writes[:5]]))
        if not recap2:
            problems.append("second run printed no recap (rc %d)" % rc2)
        problems.extend("second run: " + p for p in _check_run(rc2, _report("rollout"), first=False) if "exited 0" not in p)

        summary = _report("rollout")["summary"]
        _say("Done")
        print("First run:  %d write requests; second run: %d write requests, %d hosts changed."
              % (first_writes, len(writes), len(changed)))
        print("Deployments: %d in %d tenants; ok %d, changed %d, failed %d (expected: %s)."
              % (summary["deployments"], summary["tenants"], summary["ok"], summary["changed"], summary["failed"],
                 ", ".join(sorted(EXPECTED_FAILURES))))
        print("Provisioning policies: %d, of which %d skipped or failed (expected: %s skipped)."
              % (summary.get("policies", 0), summary.get("policy_failures", 0), ", ".join(sorted(SKIPPED_POLICIES))))
        print("Report of the first run (what changed): %s  (also .md and .json)"
              % (REPORT_DIR / ("%s.html" % FIRST_REPORT)))
        print("Report of the second run (the converged estate): %s  (also .md and .json)"
              % (REPORT_DIR / "rollout.html"))
        if problems:
            print("\nUNEXPECTED:\n  - " + "\n  - ".join(problems), file=sys.stderr)
            return 1
        return 0
    finally:
        sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
