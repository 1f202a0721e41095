# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: writes every task result of a playbook run to the JSON file named by W365_CAPTURE_FILE."""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: capture
type: aggregate
short_description: Capture task results for the w365.cloudpc test harness
description:
  - Writes every task result and the play recap to the JSON file named by E(W365_CAPTURE_FILE).
options: {}
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "capture"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._results = []
        self._started = {}
        self._path = os.environ.get("W365_CAPTURE_FILE")

    def v2_runner_on_start(self, host, task):
        self._started[(host.get_name(), task._uuid)] = time.monotonic()

    def _record(self, result, status):
        started = self._started.pop((result._host.get_name(), result._task._uuid), None)
        self._results.append(
            {
                "task": result._task.get_name(),
                "action": result._task.action,
                "host": result._host.get_name(),
                "status": status,
                # wall time of the task on this host, from dispatch to result (None if the start was not seen)
                "seconds": None if started is None else round(time.monotonic() - started, 4),
                "result": self._clean(result._result),
            }
        )

    @staticmethod
    def _clean(data):
        return json.loads(json.dumps(data, default=str))

    def v2_runner_on_ok(self, result):
        self._record(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        if not self._path:
            return
        recap = {host: stats.summarize(host) for host in sorted(stats.processed)}
        with open(self._path, "w", encoding="utf-8") as handle:
            json.dump({"results": self._results, "stats": recap}, handle, indent=1)
