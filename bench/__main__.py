"""Benchmarks for w365.cloudpc (`make bench`). Prints tables and writes bench/results/latest.json.

Sections (run all by default, or pick with --only):
  task_cost  per-task wall time of converged tasks of each module under ansible-playbook against ping (the
             cheapest module) and debug (an action plugin), check mode against converged, CPU and peak memory
             per run; with the in-process path on and off (--paths); peak memory and imports of a module process
  requests   HTTP requests (token / Graph / ARM) per converged task and per converged rollout tenant-region,
             against the minimum the design needs (bench/README.md says why)
  scaling    rollout wall time for 1, 10 and 50 tenant-regions with injected latency, forks 1 and 10, against
             the ideal, for each path
  check_mode check-mode run cost relative to a normal converged run, for each path
  token_cache converged tasks with and without the opt-in persistent token cache (interleaved), token POSTs
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import sections  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="task_cost,requests,token_cache,check_mode,scaling",
                        help="comma-separated sections (default: all)")
    parser.add_argument("--repeat", type=int, default=7, help="repetitions of each timed task (median taken)")
    parser.add_argument("--sizes", default="1,10,50", help="tenant-region counts for the scaling section")
    parser.add_argument("--forks", default="1,10", help="fork counts for the scaling section")
    parser.add_argument("--latency-ms", type=int, default=50, help="latency injected per sandbox request (scaling)")
    parser.add_argument("--paths", default="in_process,module_process",
                        help="execution paths to measure: in_process (modules run in the controller's worker "
                             "process, the default) and/or module_process (W365_IN_PROCESS=0, the path before "
                             "issue 19); task_cost, scaling and check_mode print them side by side")
    parser.add_argument("--skip-standalone", action="store_true",
                        help="task_cost: skip the stand-alone module process measurements (peak RSS, imports)")
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "latest.json"))
    parser.add_argument("--token-cache", action="store_true",
                        help="run the scaling and check_mode rollouts with the opt-in persistent token cache "
                             "(W365_TOKEN_CACHE, kept in a private HOME under .build/bench)")
    args = parser.parse_args(argv)

    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(wanted) - set(sections.SECTIONS))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(sections.SECTIONS)}")
    results = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "python": sys.version.split()[0],
               "sections": {}}
    work = REPO / ".build" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    results["token_cache"] = args.token_cache
    if args.token_cache:
        from bench import rollout
        rollout.TOKEN_CACHE_ENV.update(rollout.token_cache_env(work / "token-cache-home"))
        rollout.clear_token_cache(rollout.TOKEN_CACHE_ENV)
    for name in wanted:
        print(f"\n== {name}", flush=True)
        started = time.monotonic()
        data = sections.SECTIONS[name](args, work / name)
        data["section_seconds"] = round(time.monotonic() - started, 1)
        results["sections"][name] = data
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"\nresults written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
