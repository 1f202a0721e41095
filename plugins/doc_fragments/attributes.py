# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    """Attribute descriptions shared by every module; each module states its own `support` level.

    Use `w365.cloudpc.attributes` plus `w365.cloudpc.attributes.actiongroup` in every module, and add
    `w365.cloudpc.attributes.info_module` for read-only modules (which then need no `support` lines).
    """

    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return a changed status prediction without modifying the target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in
      diff mode. Secrets are never part of the diff.
  idempotent:
    description:
      - When run twice in a row in the same environment with the same parameters, the second run reports
        RV(ignore:changed=false) and sends no write request.
'''

    ACTIONGROUP = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/w365.cloudpc.w365) in C(module_defaults) to set defaults, for example the sign-in
      options, once for every module of this collection.
    support: full
    membership:
      - w365.cloudpc.w365
'''

    INFO_MODULE = r'''
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
  idempotent:
    support: full
'''
