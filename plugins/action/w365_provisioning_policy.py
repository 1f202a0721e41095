# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs module w365.cloudpc.w365_provisioning_policy in the controller process when it may (see plugin_utils/_inprocess.py)."""

from __future__ import annotations

from ansible_collections.w365.cloudpc.plugins.plugin_utils._inprocess import InProcessModuleAction, load_module


class ActionModule(InProcessModuleAction):
    MODULE = load_module('w365_provisioning_policy')
