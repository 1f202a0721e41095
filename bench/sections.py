"""The benchmark sections. Each takes (args, workdir) and returns a JSON-able dict; each prints its table."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.seedgen import hosts_for, make_seed
from tests.helpers.playbook import COLLECTIONS, clean_env, ensure_collection_link, run_playbook
from tests.helpers.sandbox import start_sandbox

REPO = Path(__file__).resolve().parents[1]
MODULE_PKG = "ansible_collections.w365.cloudpc.plugins.modules"
TIME_SCALE = 600.0  # simulated seconds per real second: health checks and uploads finish in well under a second


def _table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))


def _count_requests(log) -> dict:
    counts = {"token": 0, "graph": 0, "arm": 0, "writes": 0, "total": 0, "token_posts": 0}
    for entry in log:
        service = entry.get("service")
        if service == "entra":
            # Entra requests: MSAL's authority discovery (GET) and the token requests themselves (POST).
            counts["token"] += 1
            if entry["method"].upper() == "POST":
                counts["token_posts"] += 1
        elif service in ("graph", "arm"):
            counts[service] += 1
            if entry["method"].upper() not in ("GET", "HEAD"):
                counts["writes"] += 1
        counts["total"] += 1
    return counts


# -- the module tasks measured ---------------------------------------------------------------------------------
def module_tasks(host: dict) -> dict:
    """One converged task per module for a generated deployment (the same args converge and then no-op)."""
    sub, rg, vnet, subnet = host["subscription_id"], host["resource_group"], host["virtual_network"], host["subnet"]
    image_rg = host["tenant"]["subscriptions"][0]["resource_groups"][0]["name"]
    source = f"/subscriptions/{sub}/resourceGroups/{image_rg}/providers/Microsoft.Compute/images/win11-golden"
    network = {"subscription_id": sub, "resource_group": rg, "virtual_network": vnet}
    return {
        "w365_role_grant": {**network, "purpose": "network_connection"},
        "w365_role_grant_info": {**network, "purpose": "network_connection"},
        "w365_anc": {"name": f"anc-{host['region']}", "join_type": "entra_join", **network, "subnet": subnet,
                     "wait": False},
        "w365_anc_info": {"name": f"anc-{host['region']}"},
        "w365_custom_image": {"name": "win11-golden", "version": "1.0.0", "source_image_id": source,
                              "wait": True},
        "w365_custom_image_info": {"name": "win11-golden"},
        "w365_preflight": {"subscription_id": sub, "resource_group": rg, "virtual_network": vnet,
                           "subnet": subnet, "join_type": "entra_join", "planned_cloud_pcs": 10},
    }


CONVERGE_ORDER = ["w365_role_grant", "w365_anc", "w365_custom_image"]


def _play(auth: dict, tasks: list, name="bench") -> list:
    return [{"name": name, "hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/w365.cloudpc.w365": auth}, "tasks": tasks}]


def _converge(box, host, workdir: Path) -> None:
    tasks = module_tasks(host)
    grant_image = {"purpose": "custom_image", "subscription_id": host["subscription_id"]}
    play = _play(box.auth_vars(host["tenant"]["id"]), [
        {"name": "grant network roles", "w365.cloudpc.w365_role_grant": tasks["w365_role_grant"]},
        {"name": "grant image role", "w365.cloudpc.w365_role_grant": grant_image},
        {"name": "anc", "w365.cloudpc.w365_anc": tasks["w365_anc"]},
        {"name": "image", "w365.cloudpc.w365_custom_image": tasks["w365_custom_image"]},
    ], name="converge")
    result = run_playbook(workdir / "converge", play)
    if result.rc != 0:
        raise SystemExit(f"converging the bench tenant failed:\n{result}")


def _start_world(tenants: int, regions: int, workdir: Path, time_scale=TIME_SCALE):
    seed = make_seed(tenants, regions)
    workdir.mkdir(parents=True, exist_ok=True)
    box = start_sandbox(seed, time_scale=time_scale, workdir=workdir)
    return box, hosts_for(seed)


@contextlib.contextmanager
def _converged_tenant(workdir: Path):
    """A sandbox with one tenant and region, converged (grants, ANC, image): yields (box, host, auth)."""
    ensure_collection_link()
    box, hosts = _start_world(1, 1, workdir)
    try:
        host = hosts[0]
        auth = box.auth_vars(host["tenant"]["id"])
        _converge(box, host, workdir)
        yield box, host, auth
    finally:
        box.stop()


def _standalone(module: str, module_args: dict, workdir: Path, env_extra=None) -> dict:
    """Run one module process by itself: peak RSS (KiB), wall seconds, and total import time (ms)."""
    args_file = workdir / f"{module}.args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": module_args}), encoding="utf-8")
    env = clean_env({"PYTHONPATH": str(COLLECTIONS), **(env_extra or {})})
    cmd = ["/usr/bin/time", "-f", "W365BENCH %M %e", sys.executable, "-X", "importtime", "-m",
           f"{MODULE_PKG}.{module}", str(args_file)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(workdir), check=False)
    # The full -X importtime tree, to see what pulled a package in.
    (workdir / f"{module}.importtime.txt").write_text(proc.stderr, encoding="utf-8")
    import_us = 0
    rss_kib = wall = None
    imported = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            fields = line.split(":", 1)[1].split("|")
            self_us = fields[0].strip()
            if self_us.isdigit():
                import_us += int(self_us)
                imported.append(fields[2].strip())
        elif line.startswith("W365BENCH"):
            rss, secs = line.split()[1:]
            rss_kib, wall = int(rss), float(secs)
    try:
        output = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else {}
    except ValueError:
        output = {"raw": proc.stdout[-500:]}
    return {"peak_rss_mib": round(rss_kib / 1024, 1) if rss_kib else None, "wall_s": wall,
            "import_ms": round(import_us / 1000, 1), "modules_imported": len(imported),
            "heavy": heavy_packages(imported), "failed": bool(output.get("failed")),
            "msg": output.get("msg") if output.get("failed") else None}


def _rss_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1048576


def _peak_rss_mib() -> float:
    """VmHWM: this process's peak RSS (Linux)."""
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def in_fork(work, failed: dict) -> dict:
    """Run `work()` in a forked child, as an Ansible worker runs a task, and return the dict it returns (through a
    pipe), or `failed` when the child died without answering."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        code = 1
        try:
            os.write(write_end, json.dumps(work()).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        raw = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(raw.decode()) if raw else dict(failed)


def run_module_main(module: str, module_args: dict, around=contextlib.nullcontext) -> dict:
    """One module's main() in this process, the way the in-process action plugin runs it; its result. `around`: a
    context manager wrapped around main() alone (timing, profiling)."""
    import importlib
    import io

    from ansible.module_utils import _internal as mu_internal
    from ansible.module_utils import basic
    mod = importlib.import_module(f"{MODULE_PKG}.{module}")
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": module_args}).encode()
    basic._ANSIBLE_PROFILE = "legacy"
    mu_internal.is_controller = False
    out = io.StringIO()
    with contextlib.redirect_stdout(out), around():
        try:
            mod.main()
        except SystemExit:
            pass
    return json.loads(out.getvalue() or "{}")


def _inprocess_task_memory(module: str, module_args: dict) -> dict:
    """Peak RSS of one converged task on the in-process path: this process imports what the action plugins
    preload (as the controller's main process does before it forks workers), then a forked child runs the module's
    main() the way the action plugin does. `added_mib` is the child's peak minus its RSS right after the fork:
    the memory the task itself adds to a worker (Linux /proc figures)."""
    import importlib
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
    importlib.import_module("ansible_collections.w365.cloudpc.plugins.plugin_utils._inprocess")
    before = _rss_mib()

    def one_run():  # the child: one module run, then its peak RSS
        start = _rss_mib()
        result = run_module_main(module, module_args)
        return {"start": start, "peak": _peak_rss_mib(), "failed": bool(result.get("failed")),
                "changed": bool(result.get("changed"))}

    found = in_fork(one_run, {"start": 0, "peak": 0, "failed": True, "changed": False})
    return {"parent_rss_mib": round(before, 1), "task_peak_rss_mib": round(found["peak"], 1),
            "added_mib": round(found["peak"] - found["start"], 1), "failed": found["failed"],
            "changed": found["changed"]}


# Packages whose presence in a module process is worth naming: each costs tens to hundreds of ms to import.
HEAVY = ("azure.identity", "msal", "azure.mgmt.network", "azure.mgmt.authorization", "azure.mgmt.resource",
         "azure.mgmt.core", "cryptography", "requests", "jwt", "yaml", "json.decoder", "email", "http.client",
         "asyncio", "concurrent", "xml", "ansible.module_utils.basic")


def heavy_packages(imported: list) -> list:
    """Which HEAVY packages a process imported: a figure load does not distort (unlike import ms)."""
    names = set(imported)
    return [pkg for pkg in HEAVY if pkg in names]


# -- the two execution paths (issue 19) ---------------------------------------------------------------------
# in_process: the action plugins run each module's main() in the controller's worker process (the default);
# module_process: W365_IN_PROCESS=0, every task is an AnsiballZ module process (the collection before issue 19).
PATHS = {"in_process": True, "module_process": False}


def wanted_paths(args) -> list:
    names = [p.strip() for p in getattr(args, "paths", ",".join(PATHS)).split(",") if p.strip()]
    unknown = sorted(set(names) - set(PATHS))
    if unknown:
        raise SystemExit(f"unknown path(s) {', '.join(unknown)}; choose from {', '.join(PATHS)}")
    return names


def _child_run(run_dir, play, kwargs):
    import resource
    started = time.monotonic()
    result = run_playbook(run_dir, play, **kwargs)
    wall = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return result, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def measured_run(run_dir: Path, play, **kwargs):
    """run_playbook in a forked child, so its rusage covers this run alone: (result, wall s, CPU s, peak RSS MiB).

    CPU is user + system time of ansible-playbook and every process it waited for (workers, module processes);
    peak RSS is the largest single process of the run (Linux ru_maxrss of waited-for descendants)."""
    import concurrent.futures
    import multiprocessing
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
        result, wall, cpu, maxrss_kib = pool.submit(_child_run, run_dir, play, kwargs).result()
    return result, wall, cpu, round(maxrss_kib / 1024, 1)


def _timed_tasks(tasks: dict, repeat: int) -> list:
    """`repeat` rounds of: the two floors (ping: the cheapest module; debug: an action plugin, no module process)
    and one converged task of each module."""
    timed = []
    for i in range(repeat):
        timed.append({"name": f"floor ping {i}", "ansible.builtin.ping": {}})
        timed.append({"name": f"floor debug {i}", "ansible.builtin.debug": {"msg": "floor"}})
        for module, margs in tasks.items():
            timed.append({"name": f"{module} {i}", f"w365.cloudpc.{module}": margs})
    return timed


def _medians(result) -> dict:
    groups = {}
    for entry in result.results:
        groups.setdefault(entry["task"].rsplit(" ", 1)[0], []).append(entry)
    return {key: {"median_s": statistics.median(e["seconds"] for e in entries),
                  "changed": sum(1 for e in entries if e["status"] == "changed"),
                  "failed": sum(1 for e in entries if e["status"] == "failed")}
            for key, entries in groups.items()}


def task_cost(args, workdir: Path) -> dict:
    paths = wanted_paths(args)
    with _converged_tenant(workdir) as (box, host, auth):
        tasks = module_tasks(host)
        play = _play(auth, _timed_tasks(tasks, args.repeat))
        data = {"repeat": args.repeat, "runs": {}, "modules": {}}
        for path in paths:
            for mode in ("converged", "check"):
                result, wall, cpu, peak = measured_run(workdir / f"timed-{path}-{mode}", play,
                                                       check=mode == "check", in_process=PATHS[path])
                if result.rc != 0:
                    raise SystemExit(f"timed run ({path}, {mode}) failed:\n{result}")
                medians = _medians(result)
                data["runs"][f"{path}/{mode}"] = {
                    "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "peak_rss_mib": peak,
                    "tasks": len(result.results), "cpu_s_per_task": round(cpu / len(result.results), 3),
                    "floor_ping_median_s": round(medians["floor ping"]["median_s"], 3),
                    "floor_debug_median_s": round(medians["floor debug"]["median_s"], 3),
                    "medians": {k: round(v["median_s"], 3) for k, v in medians.items()},
                    "changed": {k: v["changed"] for k, v in medians.items() if v["changed"]}}
                print(f"  {path} {mode}: {len(result.results)} tasks, wall {wall:.1f} s, CPU {cpu:.1f} s, "
                      f"largest process {peak} MiB", flush=True)
        rows = []
        for module, margs in tasks.items():
            entry = {}
            row = [module]
            for path in paths:
                conv, check = data["runs"][f"{path}/converged"], data["runs"][f"{path}/check"]
                median, check_median = conv["medians"][module], check["medians"][module]
                ping, debug = conv["floor_ping_median_s"], conv["floor_debug_median_s"]
                entry[path] = {"median_s": median, "vs_ping": round(median / ping, 2),
                               "vs_debug": round(median / debug, 2), "check_median_s": check_median,
                               "check_vs_converged": round(check_median / median, 2),
                               "changed_runs": conv["changed"].get(module, 0),
                               "check_changed_runs": check["changed"].get(module, 0)}
                row += [f"{median:.3f}", f"{median / ping:.2f}x", f"{median / debug:.1f}x",
                        f"{check_median / median:.2f}x", entry[path]["changed_runs"] + entry[path]["check_changed_runs"]]
            if "in_process" in paths and "module_process" in paths:
                row.append(f"{entry['module_process']['median_s'] / entry['in_process']['median_s']:.1f}x")
            data["modules"][module] = entry
            rows.append(row)
        headers = ["module (converged task)"]
        for path in paths:
            short = "in-proc" if path == "in_process" else "mod-proc"
            headers += [f"{short} s", "vs ping", "vs debug", "check/conv", "changed"]
        if "in_process" in paths and "module_process" in paths:
            headers.append("speed-up")
        for path in paths:
            conv = data["runs"][f"{path}/converged"]
            print(f"floors ({path} run): ping {conv['floor_ping_median_s']:.3f} s, "
                  f"debug {conv['floor_debug_median_s']:.3f} s (medians of {args.repeat})")
        _table(headers, rows)
        print("runs (the whole play: wall, CPU of every process, largest process):")
        _table(["path / mode", "tasks", "wall s", "CPU s", "CPU s per task", "peak MiB"],
               [[k, v["tasks"], v["wall_s"], v["cpu_s"], v["cpu_s_per_task"], v["peak_rss_mib"]]
                for k, v in data["runs"].items()])
        if "in_process" in paths:
            mrows = []
            for module, margs in tasks.items():
                mem = _inprocess_task_memory(module, {**auth, **margs})
                data["modules"][module]["in_process_memory"] = mem
                mrows.append([module, mem["parent_rss_mib"], mem["task_peak_rss_mib"], mem["added_mib"],
                              "failed" if mem["failed"] else ("changed" if mem["changed"] else "ok")])
            print("one in-process task's memory (a fork of a process that preloaded what the action plugins "
                  "preload runs the module's main(), as a worker does):")
            _table(["module", "process before MiB", "task peak MiB", "added MiB", "result"], mrows)
        if not getattr(args, "skip_standalone", False):
            # The module process of the module_process path, by itself: peak RSS, imports (load does not change
            # the module count).
            srows = []
            for module, margs in tasks.items():
                proc = _standalone(module, {**auth, **margs}, workdir)
                data["modules"][module]["module_process_standalone"] = proc
                srows.append([module, proc["peak_rss_mib"], proc["import_ms"], proc["modules_imported"],
                              proc["wall_s"], ", ".join(proc["heavy"]) or "-"])
            print("one module process by itself (what module_process pays per task):")
            _table(["module", "peak MiB", "import ms", "modules", "wall s", "heavy packages"], srows)
        return data


# -- requests -----------------------------------------------------------------------------------------------------
# The fewest requests a converged (no-op) task can send, and why (bench/README.md has the reasoning in full).
# "token" counts token POSTs; MSAL also sends one discovery GET (openid-configuration) per process.
MINIMUM = {
    "w365_role_grant": {"token": 2, "graph": 1, "arm": 3},       # SP lookup; one assignment list per scope
    "w365_role_grant_info": {"token": 2, "graph": 1, "arm": 3},
    "w365_anc": {"token": 1, "graph": 1, "arm": 0},              # one filtered list with $select
    "w365_anc_info": {"token": 1, "graph": 1, "arm": 0},
    "w365_custom_image": {"token": 1, "graph": 1, "arm": 0},     # one list: an existing image is immutable
    "w365_custom_image_info": {"token": 1, "graph": 2, "arm": 0},  # + provisioning policies (in_use_by_policies)
    # It is a check, so it reads everything it reports on: ANC list (name, limit) and the service principal on
    # Graph, with the live list of supported regions; subscription, resource group, vnet, subnet usage and one
    # assignment list per grant scope on ARM.
    "w365_preflight": {"token": 2, "graph": 3, "arm": 7},
}


def requests(args, workdir: Path) -> dict:
    with _converged_tenant(workdir) as (box, host, auth):
        rows, data = [], {"per_task": {}}
        for module, margs in module_tasks(host).items():
            box.clear_requests()
            result = run_playbook(workdir / f"req-{module}", _play(auth, [
                {"name": module, f"w365.cloudpc.{module}": margs}]))
            log = box.requests()
            counts = _count_requests(log)
            minimum = MINIMUM.get(module)
            data["per_task"][module] = {"counts": counts, "minimum": minimum, "rc": result.rc,
                                        "log": [_describe(e) for e in log]}
            rows.append([module, counts["token"], counts["token_posts"], counts["graph"], counts["arm"],
                         counts["writes"],
                         "" if not minimum else f"{minimum['token']}/{minimum['graph']}/{minimum['arm']}"])
        _table(["converged task", "entra", "token POSTs", "graph", "arm", "writes", "minimum tok/graph/arm"], rows)
        for module, entry in data["per_task"].items():
            print(f"  {module}:")
            for line in entry["log"]:
                print(f"    {line}")
        data["loop"] = _loop_requests(box, auth, module_tasks(host), workdir)
        data["one_play"] = _one_play_token_requests(box, auth, module_tasks(host), workdir)
        data["rollout"] = _rollout_requests(workdir)
        return data


LOOP_ITEMS = 3


def _loop_requests(box, auth: dict, tasks: dict, workdir: Path) -> dict:
    """A converged task with a `loop` of LOOP_ITEMS items (one worker runs them all): requests of the first item and
    of each later one, which reuse the first item's credential, tokens and service principal (in memory)."""
    rows, data = [], {}
    for module in ("w365_role_grant_info", "w365_preflight", "w365_anc_info"):
        box.clear_requests()
        result = run_playbook(workdir / f"loop-{module}", _play(auth, [
            {"name": module, f"w365.cloudpc.{module}": tasks[module], "loop": list(range(LOOP_ITEMS))}]))
        counts = _count_requests(box.requests())
        data[module] = {"counts": counts, "rc": result.rc, "items": LOOP_ITEMS}
        rows.append([module, LOOP_ITEMS, counts["token"], counts["token_posts"], counts["graph"], counts["arm"],
                     counts["writes"], result.rc])
    print(f"a loop of {LOOP_ITEMS} items in one task (in-process: later items reuse the first item's sign-in):")
    _table(["looped task", "items", "entra", "token POSTs", "graph", "arm", "writes", "rc"], rows)
    return data


def _one_play_token_requests(box, auth: dict, tasks: dict, workdir: Path) -> dict:
    """Every module's converged task in one play, without and with the opt-in token cache: Entra requests."""
    from bench.rollout import clear_token_cache, token_cache_env
    play = _play(auth, [{"name": module, f"w365.cloudpc.{module}": margs} for module, margs in tasks.items()])
    rows, data = [], {"tasks": len(tasks)}
    for label, env in (("no_cache", {}), ("token_cache", token_cache_env(workdir / "one-play-home"))):
        clear_token_cache(env)
        box.clear_requests()
        result = run_playbook(workdir / f"one-play-{label}", play, env=env or None)
        counts = _count_requests(box.requests())
        data[label] = {"counts": counts, "rc": result.rc, "changed": result.changed_count()}
        rows.append([label, len(tasks), counts["token"] - counts["token_posts"], counts["token_posts"],
                     counts["graph"], counts["arm"], counts["writes"], result.rc])
    print(f"\nall {len(tasks)} converged module tasks in one play:")
    _table(["token cache", "tasks", "discovery GETs", "token POSTs", "graph", "arm", "writes", "rc"], rows)
    return data


def _describe(entry: dict) -> str:
    """'service METHOD path' of one request log entry (query string dropped: it can be long)."""
    path = entry.get("path") or entry.get("url") or ""
    return f"{entry.get('service')} {entry.get('method')} {path.split('?', 1)[0]}"


def _rollout_requests(workdir: Path) -> dict:
    from bench import rollout
    if not rollout.available():
        print("rollout playbook not found: per tenant-region rollout figures skipped")
        return {"skipped": "playbooks/rollout.yml not present"}
    return rollout.requests_per_tenant_region(workdir / "rollout")


def scaling(args, workdir: Path) -> dict:
    from bench import rollout
    if not rollout.available():
        print("rollout playbook not found: scaling skipped")
        return {"skipped": "playbooks/rollout.yml not present"}
    sizes = [int(s) for s in args.sizes.split(",") if s]
    forks = [int(f) for f in args.forks.split(",") if f]
    return rollout.scaling(sizes, forks, args.latency_ms, workdir, paths=wanted_paths(args))


def check_mode(args, workdir: Path) -> dict:
    from bench import rollout
    if not rollout.available():
        print("rollout playbook not found: check-mode comparison skipped")
        return {"skipped": "playbooks/rollout.yml not present"}
    return rollout.check_mode(workdir, paths=wanted_paths(args))


def token_cache(args, workdir: Path) -> dict:
    """Converged tasks with and without the opt-in token cache, interleaved in one play so load hits both alike."""
    from bench.rollout import clear_token_cache, token_cache_env
    with _converged_tenant(workdir) as (box, host, auth):
        tasks = module_tasks(host)
        measured = ["w365_anc_info", "w365_role_grant_info"]
        env = token_cache_env(workdir / "home")
        clear_token_cache(env)
        timed = []
        for i in range(args.repeat):
            for module in measured:
                for cache in (False, True):
                    timed.append({"name": f"{module} {'cache' if cache else 'nocache'} {i}",
                                  f"w365.cloudpc.{module}": {**tasks[module], "token_cache": cache,
                                                             "token_cache_allow_unencrypted": cache}})
        box.clear_requests()
        result = run_playbook(workdir / "timed", _play(auth, timed), env=env)
        if result.rc != 0:
            raise SystemExit(f"token cache run failed:\n{result}")
        counts = _count_requests(box.requests())
        groups = {}
        for entry in result.results:
            groups.setdefault(entry["task"].rsplit(" ", 1)[0], []).append(entry["seconds"])
        rows, data = [], {"repeat": args.repeat, "modules": {}, "play_counts": counts}
        for module in measured:
            off = statistics.median(groups[f"{module} nocache"])
            on = statistics.median(groups[f"{module} cache"])
            data["modules"][module] = {"median_s_no_cache": round(off, 3), "median_s_token_cache": round(on, 3)}
            rows.append([module, f"{off:.3f}", f"{on:.3f}", f"{on - off:+.3f}"])
        # The extra imports the cache brings (msal-extensions, portalocker), from a stand-alone run.
        cache_on = {"token_cache": True, "token_cache_allow_unencrypted": True}
        for label, extra in (("no_cache", {}), ("token_cache", cache_on)):
            proc = _standalone("w365_anc_info", {**auth, **tasks["w365_anc_info"], **extra}, workdir,
                               env_extra={"HOME": env["HOME"]})
            data[f"anc_info_standalone_{label}"] = proc
        print(f"token POSTs in the play: {counts['token_posts']} for {len(timed)} tasks "
              f"({len(timed) // 2} of them without the cache)")
        _table(["converged task", "median s no cache", "median s token cache", "difference"], rows)
        print("w365_anc_info stand-alone, modules imported: no cache "
              f"{data['anc_info_standalone_no_cache']['modules_imported']}, token cache "
              f"{data['anc_info_standalone_token_cache']['modules_imported']}")
        return data


SECTIONS = {"task_cost": task_cost, "requests": requests, "scaling": scaling, "check_mode": check_mode,
            "token_cache": token_cache}
