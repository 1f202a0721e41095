# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one shape of a module that manages a resource (`state: present/absent`).

    check_inputs()  offline checks of the options (W365ConfigError naming the option), before any request
    read()          the current resource (None when there is none)
    ensure_present(current) / ensure_absent(current) -> (changed, after)   check mode decided inside
    exit(changed, current, after)   the module's result and diff

`main()` builds the module and the task and hands `task.run` to `W365Module.run`, the one failure path; a failure
after a write reports `changed` through `task.changes`.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple


class ResourceTask:
    """One module run against one resource. Subclasses write the five steps above; `run` calls them in order."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.params = module.params
        # True once a write succeeded, so a later failure still reports the change it made.
        self.changed = False

    @property
    def graph(self) -> Any:
        # Built on first use, inside W365Module.run: signing in may fail on user input.
        return self.module.graph

    def changes(self) -> Dict[str, Any]:
        """The fields every failure of this task reports (`W365Module.run(result=...)`)."""
        return {'changed': self.changed}

    def check_inputs(self) -> None:
        """Offline checks of the options not covered by the argument spec; raise W365ConfigError."""

    def read(self) -> Any:
        raise NotImplementedError

    def ensure_present(self, current: Any) -> Tuple[bool, Any]:
        raise NotImplementedError

    def ensure_absent(self, current: Any) -> Tuple[bool, Any]:
        raise NotImplementedError

    def exit(self, changed: bool, current: Any, after: Any) -> None:
        raise NotImplementedError

    @property
    def state(self) -> Optional[str]:
        return self.params.get('state')

    def run(self) -> None:
        self.check_inputs()
        current = self.read()
        ensure = self.ensure_absent if self.state == 'absent' else self.ensure_present
        changed, after = ensure(current)
        self.exit(changed, current, after)
