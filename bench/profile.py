"""Profile converged in-process tasks: `python -m bench.profile [modules] [--runs N] [--no-profile]`.

Converges one tenant-region in a sandbox, then runs each module's converged task N times, each in a fresh fork of
this process (which first imports what the action plugins preload, as the controller's main process does before it
forks a worker), the way the in-process action plugin calls the module's main(). Prints wall and CPU time of each
run, the requests of one run (sandbox request log) and the cProfile of the last run (top functions by cumulative
time; the .prof files stay in .build/bench/profile). --no-profile times the runs without the profiler's overhead.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import pstats
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.sections import COLLECTIONS, _converged_tenant, in_fork, module_tasks, run_module_main  # noqa: E402


def run_once(module: str, module_args: dict, prof_path: Path | None) -> dict:
    """One module run in a forked child (as a worker runs it): wall and CPU time of main(), changed, failed; with
    `prof_path`, main()'s cProfile statistics written there."""
    import cProfile

    def one_run():
        profiler = cProfile.Profile() if prof_path else None
        timing = {}

        @contextlib.contextmanager
        def measured():
            started, cpu = time.monotonic(), time.process_time()
            if profiler:
                profiler.enable()
            try:
                yield
            finally:
                if profiler:
                    profiler.disable()
                timing.update(wall=time.monotonic() - started, cpu=time.process_time() - cpu)

        result = run_module_main(module, module_args, measured)
        if profiler:
            profiler.dump_stats(str(prof_path))
        return {"wall": timing["wall"], "cpu": timing["cpu"], "changed": bool(result.get("changed")),
                "failed": bool(result.get("failed"))}

    return in_fork(one_run, {"wall": 0, "cpu": 0, "changed": False, "failed": True})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="?", default="w365_role_grant,w365_preflight")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
    importlib.import_module("ansible_collections.w365.cloudpc.plugins.plugin_utils._inprocess")
    work = REPO / ".build" / "bench" / "profile"
    work.mkdir(parents=True, exist_ok=True)
    with _converged_tenant(work) as (box, host, auth):
        tasks = module_tasks(host)
        for module in args.modules.split(","):
            box.clear_requests()
            runs = []
            for i in range(args.runs):
                prof = None if args.no_profile else work / f"{module}.{i}.prof"
                runs.append(run_once(module, {**auth, **tasks[module]}, prof))
            log = box.requests()
            walls = sorted(r["wall"] for r in runs)
            cpus = sorted(r["cpu"] for r in runs)
            print(f"\n{module}: {args.runs} runs, median wall {walls[len(walls) // 2]:.3f} s, median CPU "
                  f"{cpus[len(cpus) // 2]:.3f} s{' (profiled)' if not args.no_profile else ''}; "
                  f"changed {sum(r['changed'] for r in runs)}, failed {sum(r['failed'] for r in runs)}; "
                  f"{len(log) / args.runs:.1f} requests per run:")
            for entry in log[:len(log) // max(args.runs, 1)]:
                print(f"    {entry['service']} {entry['method']} {entry['path'][:110]} ({entry['duration_ms']} ms "
                      f"in the sandbox)")
            if not args.no_profile:
                stats = pstats.Stats(str(work / f"{module}.{args.runs - 1}.prof"), stream=sys.stdout)
                stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
