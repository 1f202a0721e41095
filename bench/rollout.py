"""Rollout-level benchmarks: requests per converged tenant-region, scaling with forks, check-mode cost."""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

import yaml

from bench.seedgen import hosts_for, make_seed
from tests.helpers.playbook import run_playbook
from tests.helpers.sandbox import start_sandbox

REPO = Path(__file__).resolve().parents[1]
ROLLOUT = REPO / "playbooks" / "rollout.yml"
TIME_SCALE = 600.0


def available() -> bool:
    return ROLLOUT.exists()


def shape(tenant_regions: int) -> tuple[int, int]:
    """N tenant-regions as tenants × regions: two regions per tenant, except for one."""
    if tenant_regions == 1:
        return 1, 1
    return math.ceil(tenant_regions / 2), 2


def write_inventory(box, seed: dict, path: Path, report_dir: Path) -> Path:
    """An inventory in the shape of playbooks/inventory/sandbox/ for a generated seed."""
    hosts = hosts_for(seed)
    tenants, regions = {}, {}
    for host in hosts:
        tenant = host["tenant"]
        key = f"tenant_bench{host['tenant_index']}"
        image_rg = tenant["subscriptions"][0]["resource_groups"][0]["name"]
        source = (f"/subscriptions/{host['subscription_id']}/resourceGroups/{image_rg}"
                  "/providers/Microsoft.Compute/images/win11-golden")
        group = tenants.setdefault(key, {"hosts": {}, "vars": {
            "w365_tenant": f"bench{host['tenant_index']}",
            "w365_auth": {k: v for k, v in box.auth_vars(tenant["id"]).items()
                          if k in ("tenant_id", "client_id", "client_secret")},
            "w365_images": [{"name": "Win11 Bench Golden", "version": "1.0.0", "source_image_id": source}],
        }})
        group["hosts"][host["name"]] = {
            "w365_region": host["region"],
            "w365_network_connection": {
                "name": f"anc-{host['name']}", "join_type": "entra_join",
                "subscription_id": host["subscription_id"], "resource_group": host["resource_group"],
                "virtual_network": host["virtual_network"], "subnet": host["subnet"], "planned_cloud_pcs": 20,
            },
        }
        regions.setdefault(f"region_{host['region']}", {"hosts": {}})["hosts"][host["name"]] = None
    inventory = {"all": {
        "vars": {
            "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "w365_auth_common": {"authority_host": box.url, "graph_endpoint": box.url, "arm_endpoint": box.url,
                                 "ca_bundle": box.ca_bundle},
            "w365_report_dir": str(report_dir),
            "w365_wait_timeout": 900,
        },
        "children": {"w365_tenants": {"children": tenants}, **regions},
    }}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")
    return path


def _world(tenant_regions: int, workdir: Path, latency_ms: int = 0):
    tenants, regions = shape(tenant_regions)
    seed = make_seed(tenants, regions)
    workdir.mkdir(parents=True, exist_ok=True)
    box = start_sandbox(seed, time_scale=TIME_SCALE, workdir=workdir)
    if latency_ms:
        box.fault({"path": ".*", "latency_ms": latency_ms})
    inventory = write_inventory(box, seed, workdir / "inventory" / "hosts.yml", workdir / "report")
    limit = ",".join(h["name"] for h in hosts_for(seed)[:tenant_regions])
    return box, inventory, limit


# Set by `python -m bench --token-cache`: the rollout runs with the opt-in persistent token cache (in a private HOME).
TOKEN_CACHE_ENV: dict = {}


def token_cache_env(home: Path) -> dict:
    """Environment turning the opt-in token cache on for every module, kept in `home` (not the user's own)."""
    home.mkdir(parents=True, exist_ok=True)
    return {"W365_TOKEN_CACHE": "true", "W365_TOKEN_CACHE_ALLOW_UNENCRYPTED": "true", "HOME": str(home)}


def clear_token_cache(env: dict) -> None:
    if env.get("HOME"):
        shutil.rmtree(Path(env["HOME"]) / ".IdentityService", ignore_errors=True)


def _run(workdir: Path, inventory: Path, *, forks=5, check=False, limit=None, env=None, in_process=None):
    env = TOKEN_CACHE_ENV if env is None else env
    started = time.monotonic()
    result = run_playbook(workdir, ROLLOUT, inventory=inventory, forks=forks, check=check, limit=limit,
                          timeout=3600, env=env or None, in_process=in_process)
    return result, time.monotonic() - started


def _per_service(log) -> tuple[dict, int]:
    per_service = {"token": 0, "token_posts": 0, "graph": 0, "arm": 0}
    writes = 0
    for entry in log:
        service = entry.get("service")
        key = "token" if service == "entra" else service
        if key in per_service:
            per_service[key] += 1
        if service == "entra" and entry["method"].upper() == "POST":
            per_service["token_posts"] += 1
        if service in ("graph", "arm") and entry["method"].upper() not in ("GET", "HEAD"):
            writes += 1
    return per_service, writes


def _repeated_reads(log) -> dict:
    """Graph/ARM GETs sent more than once in a run (same path and query): each task is a new process, so a read
    two tasks both need is sent twice unless a task hands its result on."""
    counts = {}
    for entry in log:
        if entry.get("service") in ("graph", "arm") and entry["method"].upper() == "GET":
            query = "&".join(f"{k}={v}" for k, v in sorted((entry.get("query") or {}).items()) if k != "api-version")
            key = f"{entry['service']} GET {entry['path']}" + (f"?{query}" if query else "")
            counts[key] = counts.get(key, 0) + 1
    return {k: v for k, v in sorted(counts.items(), key=lambda kv: -kv[1]) if v > 1}


def requests_per_tenant_region(workdir: Path) -> dict:
    """A converged rollout of two tenant-regions: without the token cache, then with it (starting empty)."""
    box, inventory, limit = _world(2, workdir)
    try:
        first = _run(workdir / "first", inventory, limit=limit, env={})[0]
        if first.rc != 0:
            raise SystemExit(f"bench rollout did not converge:\n{first}")
        data = {}
        for label, env in (("no_cache", {}), ("token_cache", token_cache_env(workdir / "home"))):
            clear_token_cache(env)
            box.clear_requests()
            second, seconds = _run(workdir / f"second-{label}", inventory, limit=limit, env=env)
            log = box.requests()
            per_service, writes = _per_service(log)
            hosts = len(limit.split(","))
            repeated = _repeated_reads(log)
            per_host = {k: round(v / hosts, 1) for k, v in per_service.items()}
            print(f"converged rollout ({label}), {hosts} tenant-regions: changed={second.changed_count()} "
                  f"writes={writes} seconds={seconds:.1f} rc={second.rc}")
            print("  requests per tenant-region: " + ", ".join(f"{k} {v}" for k, v in per_host.items()))
            if label == "no_cache":
                print("  Graph/ARM reads sent more than once in the run (times: request):")
                for line, times in repeated.items():
                    print(f"    {times}: {line}")
            data[label] = {"tenant_regions": hosts, "changed": second.changed_count(), "writes": writes,
                           "per_tenant_region": per_host, "totals": per_service, "seconds": round(seconds, 2),
                           "rc": second.rc, "repeated_reads": repeated}
        # The keys the first version of this section wrote, for comparisons with older results.
        data.update(data["no_cache"])
        return data
    finally:
        box.stop()


def scaling(sizes, forks_list, latency_ms: int, workdir: Path, paths=("in_process",)) -> dict:
    """Per path (in_process / module_process, see bench/sections.PATHS): first and converged run per size and forks,
    against ideal = ceil(N / forks) x that path's one-tenant-region time."""
    from bench.sections import PATHS, _table
    rows, data = [], {"latency_ms": latency_ms, "runs": []}
    baseline = {}
    for size in sizes:
        for forks in forks_list:
            if size == 1 and forks != forks_list[0]:
                continue  # one deployment: more forks change nothing
            row = [size, forks]
            for path in paths:
                run_dir = workdir / f"{path}-n{size}-f{forks}"
                box, inventory, limit = _world(size, run_dir, latency_ms)
                try:
                    first, first_s = _run(run_dir / "first", inventory, forks=forks, limit=limit,
                                          in_process=PATHS[path])
                    converged, conv_s = _run(run_dir / "converged", inventory, forks=forks, limit=limit,
                                             in_process=PATHS[path])
                finally:
                    box.stop()
                if size == 1:
                    baseline[path] = (first_s, conv_s)
                ideal_first = ideal_conv = None
                if path in baseline:
                    waves = math.ceil(size / forks)
                    ideal_first, ideal_conv = waves * baseline[path][0], waves * baseline[path][1]
                entry = {"path": path, "tenant_regions": size, "forks": forks, "first_run_s": round(first_s, 1),
                         "converged_s": round(conv_s, 1), "ideal_first_s": ideal_first and round(ideal_first, 1),
                         "ideal_converged_s": ideal_conv and round(ideal_conv, 1), "first_rc": first.rc,
                         "converged_rc": converged.rc, "converged_changed": converged.changed_count()}
                data["runs"].append(entry)
                row += [entry["first_run_s"], _ratio(first_s, ideal_first), entry["converged_s"],
                        _ratio(conv_s, ideal_conv), f"{entry['converged_changed']} {first.rc}/{converged.rc}"]
                print(f"  {path} n={size} forks={forks}: first {first_s:.1f}s converged {conv_s:.1f}s "
                      f"(rc {first.rc}/{converged.rc}, changed {entry['converged_changed']})", flush=True)
            rows.append(row)
    headers = ["tenant-regions", "forks"]
    for path in paths:
        short = "in-proc" if path == "in_process" else "mod-proc"
        headers += [f"{short} first s", "vs ideal", f"{short} converged s", "vs ideal", "changed rc"]
    _table(headers, rows)
    return data


def _ratio(value, ideal):
    return f"{value / ideal:.2f}x" if ideal else "-"


def check_mode(workdir: Path, paths=("in_process",)) -> dict:
    from bench.sections import PATHS
    data = {}
    for path in paths:
        run_dir = workdir / path
        box, inventory, limit = _world(2, run_dir)
        try:
            first = _run(run_dir / "first", inventory, limit=limit, in_process=PATHS[path])[0]
            timings = {"normal": [], "check": []}
            for i in range(3):
                normal_s = _run(run_dir / f"normal{i}", inventory, limit=limit, in_process=PATHS[path])[1]
                box.clear_requests()
                check, check_s = _run(run_dir / f"check{i}", inventory, limit=limit, check=True,
                                      in_process=PATHS[path])
                writes = [e for e in box.requests()
                          if e.get("service") in ("graph", "arm") and e["method"].upper() not in ("GET", "HEAD")]
                timings["normal"].append(normal_s)
                timings["check"].append(check_s)
            normal = sorted(timings["normal"])[1]
            check_median = sorted(timings["check"])[1]
            print(f"{path}: converged rollout (2 tenant-regions): normal {normal:.1f}s, check mode "
                  f"{check_median:.1f}s, ratio {check_median / normal:.2f}; writes in check mode: {len(writes)}",
                  flush=True)
            data[path] = {"normal_median_s": round(normal, 2), "check_median_s": round(check_median, 2),
                          "ratio": round(check_median / normal, 2), "check_mode_writes": len(writes),
                          "check_changed": check.changed_count(), "first_rc": first.rc}
        finally:
            box.stop()
    if len(data) == 2:
        print("converged rollout, module_process / in_process: normal %.1fx, check mode %.1fx" % (
            data["module_process"]["normal_median_s"] / data["in_process"]["normal_median_s"],
            data["module_process"]["check_median_s"] / data["in_process"]["check_median_s"]))
    return data
