# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure rules of converging creates (issue 18): read back after a lost answer, one winner among racing creates."""

from __future__ import annotations

import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils import _converge
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ApiError


def lost():
    return W365ApiError(None, 'ServiceResponseError', 'cannot reach Microsoft Graph: connection aborted')


class Service:
    """A create endpoint whose answers are scripted: 'ok', 'lost' (carried out, answer lost), 'dropped' (not carried
    out, no answer), or an HTTP status."""

    def __init__(self, *script):
        self.script = list(script)
        self.made = []
        self.creates = 0

    def create(self):
        self.creates += 1
        step = self.script.pop(0)
        if step in ('ok', 'lost'):
            self.made.append({'id': 'id-%d' % len(self.made)})
        if step == 'ok':
            return self.made[-1]
        if step in ('lost', 'dropped'):
            raise lost()
        raise W365ApiError(step, 'Error', 'status %s' % step)

    def find(self):
        return self.made[0] if self.made else None


def test_an_answered_create_is_sent_once():
    svc = Service('ok')
    assert _converge.create_reading_back(svc.create, svc.find, sleep=lambda s: None) == ({'id': 'id-0'}, False)
    assert svc.creates == 1


def test_a_create_carried_out_with_its_answer_lost_is_read_back_not_repeated():
    svc = Service('lost', 'ok')
    assert _converge.create_reading_back(svc.create, svc.find, sleep=lambda s: None) == ({'id': 'id-0'}, True)
    assert svc.creates == 1 and len(svc.made) == 1


def test_a_create_never_carried_out_is_sent_again_after_the_read_back():
    svc = Service('dropped', 'ok')
    assert _converge.create_reading_back(svc.create, svc.find, sleep=lambda s: None) == ({'id': 'id-0'}, False)
    assert svc.creates == 2 and len(svc.made) == 1


def test_create_named_reads_back_the_winner_among_those_listed_by_name():
    svc = Service('lost')
    svc.made.append({'id': 'ID-00'})  # a racing run's, with the lower ID
    assert _converge.create_named(svc.create, lambda: list(svc.made), sleep=lambda s: None) == ({'id': 'ID-00'}, True)
    assert svc.creates == 1


@pytest.mark.parametrize('answer', [None, W365ApiError(404, 'NotFound', 'gone')])
def test_drop_own_copy_deletes_and_says_which_copy_was_kept(answer):
    calls = []

    def delete():
        calls.append(1)
        if answer is not None:
            raise answer
    message = _converge.drop_own_copy(delete, "policy 'p'", {'id': 'b'}, {'id': 'a'})
    assert calls == [1] and 'deleted its own copy b and kept a' in message and message.startswith("policy 'p': ")


def test_drop_own_copy_raises_any_other_refusal():
    def delete():
        raise W365ApiError(409, 'Conflict', 'in use')
    with pytest.raises(W365ApiError):
        _converge.drop_own_copy(delete, 'x', {'id': 'b'}, {'id': 'a'})


@pytest.mark.parametrize('status', [500, 503, 408])
def test_5xx_and_408_count_as_unanswered(status):
    svc = Service(status, 'ok')
    assert _converge.create_reading_back(svc.create, svc.find, sleep=lambda s: None)[0] == {'id': 'id-0'}
    assert svc.creates == 2


@pytest.mark.parametrize('status', [400, 403, 409, 429])
def test_refusals_are_not_retried(status):
    svc = Service(status, 'ok')
    with pytest.raises(W365ApiError) as info:
        _converge.create_reading_back(svc.create, svc.find, sleep=lambda s: None)
    assert info.value.status == status and svc.creates == 1


def test_all_unanswered_and_nothing_found_raises_saying_a_rerun_adopts_it():
    svc = Service('dropped', 'dropped')
    with pytest.raises(W365ApiError) as info:
        _converge.create_reading_back(svc.create, svc.find, sleep=lambda s: None)
    assert svc.creates == 2
    assert 'rerun' in str(info.value) and 'read back' in str(info.value)


def test_the_last_read_back_catches_a_late_create():
    svc = Service('dropped', 'lost')
    assert _converge.create_reading_back(svc.create, svc.find, sleep=lambda s: None) == ({'id': 'id-0'}, True)


def test_winner_is_the_lowest_id_whatever_the_order_and_case():
    items = [{'id': 'b2'}, {'id': 'A1'}, {'id': 'c3'}]
    assert _converge.winner(items) == {'id': 'A1'}
    assert _converge.winner(list(reversed(items))) == {'id': 'A1'}
    assert _converge.winner([]) is None
    assert _converge.same_id({'id': 'A1'}, {'id': 'a1'}) and not _converge.same_id({'id': 'a1'}, None)


def test_every_racing_run_picks_the_same_winner():
    """Runs see the same set in different orders (as two list calls may return them) and agree."""
    seen_by_a = [{'id': 'f0e1'}, {'id': '0a9b'}]
    seen_by_b = [{'id': '0a9b'}, {'id': 'f0e1'}]
    assert _converge.winner(seen_by_a) == _converge.winner(seen_by_b) == {'id': '0a9b'}


@pytest.mark.parametrize('took, settle', [(0.1, 2.0), (3.0, 6.0), (500, 60.0)])
def test_settle_is_twice_the_read_to_create_time_within_bounds(took, settle):
    assert _converge.settle_seconds(took) == settle
