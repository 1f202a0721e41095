# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Creates that converge: safe to retry after a lost answer, and one winner when runs race.

Graph has no conditional create: two runs that both read "absent" both create, and a create whose answer was lost
may still have been carried out. This module holds the pure rules the modules follow:

* ``create_reading_back``: after a create that got no usable answer (dropped connection, timeout, 5xx), look for
  the resource before sending the create again, so a create that was carried out is adopted, not repeated.
* ``settle_seconds`` / ``winner``: after creating, wait until every racing run's create has landed, list the
  resources sharing the identity, and keep the one with the lowest ID; a run whose own resource lost deletes it
  (nothing uses it yet) and adopts the winner, so all runs end on the same resource.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, Iterable, Optional, Tuple, cast

from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ApiError

# Floor and ceiling of the pause before the deciding read (seconds of real time). The pause is twice as long as this
# run's own read-then-create took, so a racing run that read "absent" no later than this run's create landed has
# landed its create too before this run decides.
MIN_SETTLE = 2.0
MAX_SETTLE = 60.0
# Pause before reading back after a create got no usable answer (the service may still be carrying it out).
READ_BACK_PAUSE = 2.0


def unanswered(err: BaseException) -> bool:
    """True when a create may have been carried out although this run got no usable answer: the connection
    dropped or timed out (no status), or the service answered 5xx / 408."""
    if not isinstance(err, W365ApiError):
        return False
    return err.status is None or err.status == 408 or err.status >= 500


def create_reading_back(create: Callable[[], Any], find_created: Callable[[], Any], attempts: int = 2,
                        pause: float = READ_BACK_PAUSE,
                        sleep: Callable[[float], Any] = time.sleep) -> Tuple[Any, bool]:
    """Run ``create()``; when its answer is lost, call ``find_created()`` before sending it again.

    Returns ``(resource, read_back)``: what the create answered, or what ``find_created()`` found (``read_back``
    True: this run cannot tell whether it or a racing run made it). ``find_created()`` returns the resource or None.
    Sends at most ``attempts`` creates; when the last one also goes unanswered and nothing is found, raises the
    first error (its message says the create may still be carried out, so a rerun reads it back).
    """
    first: Optional[W365ApiError] = None
    for attempt in range(attempts):
        if attempt:
            sleep(pause)
            found = find_created()
            if found is not None:
                return found, True
        try:
            return create(), False
        except W365ApiError as err:
            if not unanswered(err):
                raise
            first = first or err
    sleep(pause)
    found = find_created()
    if found is not None:
        return found, True
    first = cast(W365ApiError, first)  # every attempt ended unanswered, so an error was kept
    note = ('no answer came to %d create request(s) and nothing they would have made shows up when read back: the '
            'service may still carry one out, and a rerun of the task adopts it instead of creating another'
            % attempts)
    raise W365ApiError(first.status, first.code, first.message, request_id=first.request_id,
                       client_request_id=first.client_request_id, method=first.method, url=first.url,
                       service=first.service, detail='%s; %s' % (first.detail, note) if first.detail else note)


def create_named(create: Callable[[], Any], list_named: Callable[[], Iterable[Dict[str, Any]]],
                 sleep: Callable[[float], Any] = time.sleep) -> Tuple[Any, bool]:
    """``create_reading_back`` for a resource named by its display name: the one ``create()`` made is the
    ``winner`` among those ``list_named()`` returns."""
    return create_reading_back(create, lambda: winner(list_named()), sleep=sleep)


def drop_own_copy(delete: Callable[[], Any], what: str, own: Dict[str, Any], kept: Dict[str, Any]) -> str:
    """Delete this run's copy that lost the race (already gone, 404, is fine) -> the warning that says so."""
    try:
        delete()
    except W365ApiError as err:
        if err.status != 404:
            raise
    return ('%s: another run created it at the same time; this run deleted its own copy %s and kept %s, as every '
            'racing run does.' % (what, own['id'], kept['id']))


def settle_seconds(own_create_took: float) -> float:
    """How long to wait after this run's create before the deciding read."""
    return max(MIN_SETTLE, min(MAX_SETTLE, 2.0 * float(own_create_took)))


def _id(item):
    return str(item.get('id') or '').lower()


def winner(items: Iterable[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The resource every run keeps among several that share an identity: the lowest ID (IDs compare
    case-insensitively). Graph exposes no creation time for these resources, so the ID is the one order every run
    sees the same way. None for an empty list."""
    candidates = [i for i in items if i.get('id')]
    if not candidates:
        return None
    return min(candidates, key=_id)


def same_id(a: Optional[Dict[str, Any]], b: Optional[Dict[str, Any]]) -> bool:
    return bool(a) and bool(b) and _id(a) == _id(b)
