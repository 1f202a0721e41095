# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""w365_custom_image / w365_custom_image_info under ansible-playbook against the sandbox.

Tests share one sandbox per module but each uses its own image names; the request log is cleared right before
each measured run, so write counts belong to that run alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parent / 'seeds' / 'image.yml'
SECRET = 'Img-Sandbox-Secret-9f3c1d'
SUB_A = '7d0c6f4e-1a2b-4c3d-8e9f-0000000006aa'
SUB_B = '7d0c6f4e-1a2b-4c3d-8e9f-0000000006bb'
SUB_C = '7d0c6f4e-1a2b-4c3d-8e9f-0000000006cc'
RG_A = '/subscriptions/%s/resourceGroups/rg-images/providers/Microsoft.Compute/images/' % SUB_A
IN_USE_ID = '7d0c6f4e-1a2b-4c3d-8e9f-000000000701'
IMAGES_PATH = '/deviceManagement/virtualEndpoint/deviceImages'


def src(name):
    return RG_A + name


@pytest.fixture(scope='module')
def box(tmp_path_factory):
    from tests.helpers.sandbox import start_sandbox

    sandbox = start_sandbox(SEED, workdir=tmp_path_factory.mktemp('image-sandbox'))
    yield sandbox
    sandbox.stop()


def play(box, tasks, principal='app'):
    return [{
        'hosts': 'localhost', 'gather_facts': False,
        'module_defaults': {'group/w365.cloudpc.w365': box.auth_vars(0, principal)},
        'tasks': tasks,
    }]


def image_task(register='out', ignore_errors=False, **args):
    task = {'name': register, 'w365.cloudpc.w365_custom_image': args, 'register': register}
    if ignore_errors:
        task['ignore_errors'] = True
    return task


def info_task(register='info', **args):
    return {'name': register, 'w365.cloudpc.w365_custom_image_info': args, 'register': register}


def run(box, run_playbook, tasks, principal='app', **kwargs):
    """Clear the request log, run the play, return (PlaybookResult, writes sent to Graph or ARM by the run)."""
    box.clear_requests()
    result = run_playbook(play(box, tasks, principal), **kwargs)
    return result, box.writes()


def image_posts(writes):
    return [w for w in writes if w['method'] == 'POST' and w['path'].rstrip('/').endswith(IMAGES_PATH)]


def sandbox_images(box, name):
    images = []
    for tenant in box.state()['tenants']:
        for image in _images_of(tenant):
            if image.get('displayName') == name:
                images.append(image)
    return images


def _images_of(tenant):
    images = tenant.get('device_images') or tenant.get('images') or []
    return list(images.values()) if isinstance(images, dict) else images


def test_upload_check_mode_create_wait_ready_then_idempotent(box, run_playbook):
    args = dict(name='Golden', version='1.0.0', source_image_id=src('win11-golden'))

    res, writes = run(box, run_playbook, [image_task(**args)], check=True, diff=True)
    out = res.result('out')
    assert res.rc == 0, res
    assert out['changed'] is True
    assert writes == []
    assert out['image']['status'] == 'pending' and out['image']['id'] is None
    assert out['diff']['before'] == {} and out['diff']['after']['name'] == 'Golden'

    res, writes = run(box, run_playbook, [image_task(**args)], diff=True)
    out = res.result('out')
    assert res.rc == 0, res
    assert out['changed'] is True
    assert len(image_posts(writes)) == 1 and len(writes) == 1
    image = out['image']
    assert image['status'] == 'ready'
    assert image['name'] == 'Golden' and image['version'] == '1.0.0'
    assert image['source_image_id'].lower() == src('win11-golden').lower()
    assert image['operating_system'] == 'Windows 11 Enterprise'
    assert image['error_code'] is None and image['expiration_date'] and image['last_modified']
    assert out['diff']['before'] == {} and out['diff']['after']['status'] == 'ready'

    # Same name (other case), same version, same source (other case): nothing to do, no write at all.
    again = {**args, 'name': 'GOLDEN', 'source_image_id': src('win11-golden').lower()}
    res, writes = run(box, run_playbook, [image_task(**again)])
    out = res.result('out')
    assert res.rc == 0, res
    assert out['changed'] is False and writes == []
    assert out['image']['id'] == image['id']

    res, writes = run(box, run_playbook, [image_task(**args)], check=True)
    assert res.result('out')['changed'] is False and writes == []


# Sources whose problem only Windows 365 can see (the edition is not in the Azure image document): uploaded, then
# failed by the service with its code.
BAD_SOURCES = [
    ('win11-pro', 'osVersionNotSupported', 'Enterprise'),
    ('win11-ltsc', 'osVersionNotSupported', 'LTSC'),
]

# Sources that break a requirement Azure shows (Microsoft Learn, Windows 365 device images overview): refused before
# any write, so the upload wait is not spent and the version is not used up (issue 12, finding 4).
UNFIT_SOURCES = [
    ('win11-not-sysprepped', 'generalized', 'sysprep'),
    ('win11-gen1', 'generation_2', 'Generation 2'),
    ('win11-huge', 'os_disk_size', '64 GB'),
    ('win11-data-disk', 'no_data_disks', 'data disks'),
]


def test_failed_uploads_report_code_explanation_and_remedy(box, run_playbook):
    """One upload per bad source image, all in one play; then a rerun of the same play."""
    tasks = [image_task(register='bad%d' % i, ignore_errors=True, name='Bad %s' % source, version='1.0.0',
                        source_image_id=src(source)) for i, (source, _code, _hint) in enumerate(BAD_SOURCES)]
    res, writes = run(box, run_playbook, tasks)
    assert len(image_posts(writes)) == len(BAD_SOURCES) == len(writes)
    for i, (source, code, hint) in enumerate(BAD_SOURCES):
        out = res.result('bad%d' % i)
        assert res.entry('bad%d' % i)['status'] == 'ignored', (source, out)
        assert out['changed'] is True
        assert code in out['msg'] and hint in out['msg'], (source, out['msg'])
        assert out['image']['status'] == 'failed' and out['image']['error_code'] == code
        assert out['image']['error_explanation'] and out['image']['error_remedy']

    # A rerun does not upload again: each task fails with the same explanation and points at retry_failed.
    res, writes = run(box, run_playbook, tasks)
    assert writes == []
    for i, (source, code, _hint) in enumerate(BAD_SOURCES):
        out = res.result('bad%d' % i)
        assert res.entry('bad%d' % i)['status'] == 'ignored' and out['changed'] is False
        assert code in out['msg'] and 'retry_failed' in out['msg'], (source, out['msg'])


@pytest.mark.parametrize('check_mode', [False, True])
def test_unfit_source_images_are_refused_before_any_write(box, run_playbook, check_mode):
    """A non-generalized, generation 1, oversized or data-disk source fails with zero writes, naming the problem."""
    tasks = [image_task(register='unfit%d' % i, ignore_errors=True, name='Unfit %s' % source, version='1.0.0',
                        source_image_id=src(source)) for i, (source, _req, _hint) in enumerate(UNFIT_SOURCES)]
    res, writes = run(box, run_playbook, tasks, check=check_mode)
    assert writes == []
    for i, (source, requirement, hint) in enumerate(UNFIT_SOURCES):
        out = res.result('unfit%d' % i)
        assert res.entry('unfit%d' % i)['status'] == 'ignored', (source, out)
        assert out['changed'] is False and out['option'] == 'source_image_id'
        assert requirement in out['msg'] and hint in out['msg'], (source, out['msg'])
        assert sandbox_images(box, 'Unfit %s' % source) == []


def test_os_disk_limit_is_an_option(box, run_playbook):
    args = dict(name='Big Disk', version='1.0.0', source_image_id=src('win11-127gb'))
    res, writes = run(box, run_playbook, [image_task(ignore_errors=True, **args)])
    assert writes == [] and 'os_disk_size' in res.result('out')['msg']
    res, writes = run(box, run_playbook, [image_task(max_os_disk_size_gb=128, **args)], check=True)
    assert res.rc == 0 and res.result('out')['changed'] is True and writes == []


GALLERY = ('/subscriptions/%s/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/gal_cpc/images/'
           % SUB_A)


def test_gallery_image_version_uploads_through_beta(box, run_playbook):
    """Issue 14.3: an Azure Compute Gallery image version is accepted (preview, Graph beta) and checked first."""
    args = dict(name='Gallery Golden', version='1.0.0', source_image_id=GALLERY + 'win11-cpc/versions/1.0.0')
    res, writes = run(box, run_playbook, [image_task(**args)])
    out = res.result('out')
    assert res.rc == 0, res
    posts = image_posts(writes)
    assert len(posts) == 1 and posts[0]['path'].startswith('/beta/'), writes
    assert out['image']['status'] == 'ready' and out['image']['source_image_id'] == args['source_image_id']
    reads = [r['path'] for r in box.requests() if r['method'] == 'GET' and '/galleries/' in r['path']]
    assert any(p.endswith('/versions/1.0.0') for p in reads) and any(p.endswith('/images/win11-cpc') for p in reads)

    res, writes = run(box, run_playbook, [image_task(**args)])
    assert res.rc == 0 and res.result('out')['changed'] is False and writes == []


@pytest.mark.parametrize('source, requirement', [
    ('win11-specialized/versions/1.0.0', 'generalized'),
    ('win11-cpc/versions/1.1.0', 'no_data_disks'),
])
def test_unfit_gallery_versions_are_refused_before_any_write(box, run_playbook, source, requirement):
    args = dict(name='Gallery Unfit', version='1.0.0', source_image_id=GALLERY + source)
    res, writes = run(box, run_playbook, [image_task(ignore_errors=True, **args)])
    assert writes == []
    assert requirement in res.result('out')['msg']


def test_missing_gallery_version_is_caught_before_upload(box, run_playbook):
    args = dict(name='Gallery Missing', version='1.0.0', source_image_id=GALLERY + 'win11-cpc/versions/9.9.9')
    res, writes = run(box, run_playbook, [image_task(ignore_errors=True, **args)])
    assert writes == []
    assert 'gallery image version' in res.result('out')['msg'] and 'not found' in res.result('out')['msg']


def test_source_not_found_from_the_service_when_checks_are_off(box, run_playbook):
    args = dict(name='Vanished', version='1.0.0', source_image_id=src('no-such-image'), validate_source=False)
    res, writes = run(box, run_playbook, [image_task(**args)])
    out = res.result('out')
    assert res.rc != 0
    assert len(image_posts(writes)) == 1
    assert out['image']['error_code'] == 'sourceImageNotFound'
    assert 'Reader' in out['msg']


def test_info_explains_failures_whatever_the_case_and_passes_unknown_codes_through(box, run_playbook):
    res, writes = run(box, run_playbook, [info_task(name='transient failure', version='2.0.0'),
                                          info_task(register='shouting', name='Shouting Failure'),
                                          info_task(register='mystery', name='Mystery Failure')])
    assert res.rc == 0, res
    assert writes == []
    images = res.result('info')['images']
    assert [i['id'] for i in images] == ['7d0c6f4e-1a2b-4c3d-8e9f-000000000703']
    assert images[0]['error_code'] == 'internalServerError'
    assert 'retry_failed' in images[0]['error_remedy']
    shouting = res.result('shouting')['images'][0]
    assert shouting['error_code'] == 'SOURCEIMAGENOTGENERALIZED' and 'sysprep' in shouting['error_remedy']
    mystery = res.result('mystery')['images'][0]
    assert mystery['error_code'] == 'someFutureReason'
    assert mystery['error_explanation'] is None and mystery['error_remedy'] is None


def test_failed_upload_with_an_unknown_code_fails_passing_the_code_through(box, run_playbook):
    args = dict(name='Mystery Failure', version='1.0.0', source_image_id=src('win11-golden'))
    res, writes = run(box, run_playbook, [image_task(**args)])
    out = res.result('out')
    assert res.rc != 0 and writes == []
    assert 'someFutureReason' in out['msg'] and 'retry_failed' in out['msg']


def test_wait_timeout_leaves_upload_running_and_rerun_resumes_it(box, run_playbook):
    args = dict(name='Slow', version='3.1.4', source_image_id=src('win11-golden-b'))
    res, writes = run(box, run_playbook, [image_task(wait_timeout=0, **args)])
    out = res.result('out')
    assert res.rc != 0
    assert out['changed'] is True
    assert len(image_posts(writes)) == 1
    assert 'still running' in out['msg'] and 'run the task again' in out['msg']
    first_id = out['image']['id']
    assert first_id and out['image']['status'] == 'pending'

    res, writes = run(box, run_playbook, [image_task(wait_timeout=120, **args)])
    out = res.result('out')
    assert res.rc == 0, res
    assert writes == [], 'a rerun must not start a second upload'
    assert out['changed'] is False
    assert out['image']['id'] == first_id and out['image']['status'] == 'ready'
    assert len(sandbox_images(box, 'Slow')) == 1


def test_wait_false_returns_pending_and_a_later_wait_picks_it_up(box, run_playbook):
    args = dict(name='Nowait', version='1.0.0', source_image_id=src('win11-golden-c'))
    res, writes = run(box, run_playbook, [image_task(wait=False, **args)])
    out = res.result('out')
    assert res.rc == 0, res
    assert out['changed'] is True and out['image']['status'] == 'pending'
    assert len(image_posts(writes)) == 1

    res, writes = run(box, run_playbook, [image_task(**args)])
    out = res.result('out')
    assert res.rc == 0, res
    assert writes == [] and out['changed'] is False and out['image']['status'] == 'ready'


def test_changing_the_source_of_an_uploaded_version_is_refused(box, run_playbook):
    args = dict(name='In Use Image', version='1.0.0', source_image_id=src('win11-golden-d'))
    for check in (True, False):
        res, writes = run(box, run_playbook, [image_task(**args)], check=check)
        out = res.result('out')
        assert res.rc != 0
        assert writes == []
        assert 'Raise version' in out['msg'] and '1.0.1' in out['msg']
        assert out['image']['id'] == IN_USE_ID


def test_delete_refused_while_in_use_names_the_policy(box, run_playbook):
    res, writes = run(box, run_playbook, [image_task(name='In Use Image', version='1.0.0', state='absent')])
    out = res.result('out')
    assert res.rc != 0
    assert writes == []
    assert 'Sales Cloud PCs' in out['msg'] and 'provisioning polic' in out['msg']
    # The info module says the same before anyone tries.
    res, writes = run(box, run_playbook, [info_task(name='In Use Image'), info_task('unused', name='Unused Image')])
    assert res.rc == 0, res
    assert [i['in_use_by_policies'] for i in res.result('info')['images']] == [['Sales Cloud PCs']]
    assert [i['in_use_by_policies'] for i in res.result('unused')['images']] == [[]]


def test_delete_check_mode_then_delete_then_idempotent(box, run_playbook):
    args = dict(name='Unused Image', version='0.9.0', state='absent')
    res, writes = run(box, run_playbook, [image_task(**args)], check=True, diff=True)
    out = res.result('out')
    assert res.rc == 0, res
    assert out['changed'] is True and writes == []
    assert out['diff']['before']['id'] == '7d0c6f4e-1a2b-4c3d-8e9f-000000000702' and out['diff']['after'] == {}

    res, writes = run(box, run_playbook, [image_task(**args)])
    assert res.rc == 0, res
    assert res.result('out')['changed'] is True
    assert [(w['method'], w['path']) for w in writes] == [
        ('DELETE', '/v1.0' + IMAGES_PATH + '/7d0c6f4e-1a2b-4c3d-8e9f-000000000702')]

    res, writes = run(box, run_playbook, [image_task(**args)])
    assert res.rc == 0, res
    assert res.result('out')['changed'] is False and writes == []


def test_missing_reader_grant_is_caught_before_upload(box, run_playbook):
    source = '/subscriptions/%s/resourceGroups/rg-elsewhere/providers/Microsoft.Compute/images/win11-elsewhere' % SUB_B
    args = dict(name='Elsewhere', version='1.0.0', source_image_id=source)
    res, writes = run(box, run_playbook, [image_task(**args)])
    out = res.result('out')
    assert res.rc != 0
    assert writes == []
    assert 'Reader' in out['msg'] and 'w365_role_grant' in out['msg'] and SUB_B in out['msg']
    assert sandbox_images(box, 'Elsewhere') == []

    # Check mode cannot know whether an earlier w365_role_grant task of the play would have granted it: it predicts
    # the upload and warns what a real run needs.
    res, writes = run(box, run_playbook, [image_task(**args)], check=True)
    out = res.result('out')
    assert res.rc == 0, res
    assert writes == [] and out['changed'] is True
    warning = ' '.join(out['warnings'])
    assert 'Reader' in warning and 'w365_role_grant' in warning and SUB_B in warning


def test_grant_then_upload_in_one_play(box, run_playbook):
    """What the custom_image role does: grant Reader, then upload; in check mode and for real."""
    source = ('/subscriptions/%s/resourceGroups/rg-granted-later/providers/Microsoft.Compute/images/win11-granted-later'
              % SUB_C)
    tasks = [{'name': 'grant', 'w365.cloudpc.w365_role_grant': {'purpose': 'custom_image', 'subscription_id': SUB_C}},
             image_task(name='Granted Elsewhere', version='1.0.0', source_image_id=source)]
    res, writes = run(box, run_playbook, tasks, check=True)
    assert res.rc == 0, res
    assert writes == [] and res.result('out')['changed'] is True

    res, writes = run(box, run_playbook, tasks)
    assert res.rc == 0, res
    assert [w['method'] for w in writes] == ['PUT', 'POST']
    assert res.result('out')['image']['status'] == 'ready'


def test_caller_without_directory_read_gets_the_permission_to_add(box, run_playbook):
    args = dict(name='No Directory', version='1.0.0', source_image_id=src('win11-golden'))
    res, writes = run(box, run_playbook, [image_task(**args)], principal='7d0c6f4e-1a2b-4c3d-8e9f-000000000613')
    out = res.result('out')
    assert res.rc != 0 and writes == []
    assert 'Application.Read.All' in out['msg'] and 'validate_source' in out['msg']
    assert out['error']['status'] == 403 and out['error']['request_id']


def test_caller_who_cannot_read_the_source_is_told_before_upload(box, run_playbook):
    source = '/subscriptions/%s/resourceGroups/rg-elsewhere/providers/Microsoft.Compute/images/win11-elsewhere' % SUB_B
    args = dict(name='Unreadable', version='1.0.0', source_image_id=source)
    res, writes = run(box, run_playbook, [image_task(**args)], principal='7d0c6f4e-1a2b-4c3d-8e9f-000000000613')
    out = res.result('out')
    assert res.rc != 0 and writes == []
    assert 'Cannot read the source image' in out['msg'] and 'validate_source' in out['msg']
    assert out['error']['status'] == 403 and out['error']['service'] == 'arm'


def test_missing_source_image_is_caught_before_upload(box, run_playbook):
    args = dict(name='Typo', version='1.0.0', source_image_id=src('win11-goldne'))
    res, writes = run(box, run_playbook, [image_task(**args)])
    out = res.result('out')
    assert res.rc != 0 and writes == []
    assert 'source_image_id' in out['msg'] and 'not found' in out['msg']


BAD_INPUT = [
    (dict(name='Bad', version='1.0', source_image_id=src('win11-golden')), 'version'),
    (dict(name='Bad', version='01.0.0', source_image_id=src('win11-golden')), 'version'),
    (dict(name='Bad', version='1.0.0', source_image_id='win11-golden'), 'source_image_id'),
    (dict(name='Bad', version='1.0.0', source_image_id='/subscriptions/%s/resourceGroups/rg/providers/'
          'Microsoft.Compute/galleries/g/images/d/versions/latest' % SUB_A), 'source_image_id'),
    (dict(name='Bad', version='1.0.0', source_image_id=src('win11-golden'), max_os_disk_size_gb=0),
     'max_os_disk_size_gb'),
    (dict(name='Bad', version='1.0.0'), 'source_image_id'),
    (dict(name='Bad', version='1.0.0', source_image_id=src('win11-golden'), wait_timeout=-1), 'wait_timeout'),
]


def test_bad_input_names_the_option_and_sends_nothing(box, run_playbook):
    tasks = [image_task(register='bad%d' % i, ignore_errors=True, **args) for i, (args, _o) in enumerate(BAD_INPUT)]
    box.clear_requests()
    res = run_playbook(play(box, tasks))
    for i, (args, option) in enumerate(BAD_INPUT):
        out = res.result('bad%d' % i)
        assert res.entry('bad%d' % i)['status'] == 'ignored', (args, out)
        assert option in out['msg'], (args, out['msg'])
    assert [r for r in box.requests() if r.get('service') in ('graph', 'arm')] == []


def test_retry_failed_uses_retry_upload_and_keeps_the_id(box, run_playbook):
    image_id = '7d0c6f4e-1a2b-4c3d-8e9f-000000000703'
    args = dict(name='Transient Failure', version='2.0.0', source_image_id=src('win11-golden'))

    res, writes = run(box, run_playbook, [image_task(**args)])
    assert res.rc != 0 and writes == []
    assert 'retry_failed' in res.result('out')['msg']

    res, writes = run(box, run_playbook, [image_task(retry_failed=True, **args)], check=True)
    assert res.rc == 0, res
    assert res.result('out')['changed'] is True and writes == []

    res, writes = run(box, run_playbook, [image_task(retry_failed=True, **args)])
    out = res.result('out')
    assert res.rc == 0, res
    assert [(w['method'], w['path']) for w in writes] == [
        ('POST', '/beta' + IMAGES_PATH + '/%s/retryUpload' % image_id)]
    assert out['changed'] is True
    assert out['image']['id'] == image_id and out['image']['status'] == 'ready'

    res, writes = run(box, run_playbook, [image_task(retry_failed=True, **args)])
    assert res.rc == 0 and writes == [] and res.result('out')['changed'] is False


def test_retry_falls_back_to_delete_and_upload_when_retry_upload_is_not_offered(box, run_playbook):
    old_id = '7d0c6f4e-1a2b-4c3d-8e9f-000000000704'
    args = dict(name='Transient Failure Fallback', version='2.0.0', source_image_id=src('win11-golden'),
                retry_failed=True)
    box.fault({'method': 'POST', 'path': '.*/retryUpload$', 'status': 404, 'count': 1})
    try:
        res, writes = run(box, run_playbook, [image_task(**args)])
    finally:
        box.clear_faults()
    out = res.result('out')
    assert res.rc == 0, res
    assert [w['method'] for w in writes] == ['POST', 'DELETE', 'POST']
    assert writes[1]['path'].endswith(old_id)
    assert out['image']['id'] != old_id and out['image']['status'] == 'ready'
    warning = ' '.join(out.get('warnings', []))
    assert 'retryUpload' in warning and old_id in warning and out['image']['id'] in warning


def test_info_lists_images_and_source_images(box, run_playbook):
    res, writes = run(box, run_playbook, [info_task(), info_task(register='src', source_images=True),
                                          info_task(register='one', name='In Use Image', version='1.0.0')])
    assert res.rc == 0, res
    assert writes == []
    names = {i['name'] for i in res.result('info')['images']}
    assert {'In Use Image', 'Transient Failure'} <= names
    assert 'source_images' not in res.result('info')
    sources = res.result('src')['source_images']
    assert src('win11-golden').lower() in {s['resource_id'].lower() for s in sources}
    assert all(s['subscription_id'] and s['name'] for s in sources)
    one = res.result('one')['images']
    assert [i['id'] for i in one] == [IN_USE_ID]
    assert one[0]['status'] == 'ready'


def test_info_lists_gallery_versions_with_their_category(box, run_playbook):
    res, writes = run(box, run_playbook, [info_task(register='src', source_images=True),
                                          info_task(register='all', source_images=True, gallery_sources=True)])
    assert res.rc == 0, res
    assert writes == []
    assert {s['category'] for s in res.result('src')['source_images']} == {'managedImage'}
    categories = {s['resource_id']: s['category'] for s in res.result('all')['source_images']}
    assert categories[GALLERY + 'win11-cpc/versions/1.0.0'] == 'azureComputeGallery'
    assert categories[src('win11-golden')] == 'managedImage'


def test_no_secret_in_output_at_high_verbosity(box, run_playbook):
    tasks = [image_task(name='Verbose', version='1.0.0', source_image_id=src('win11-golden')),
             image_task(register='bad', ignore_errors=True, name='Verbose', version='1.0.0',
                        source_image_id=src('win11-golden-b')),
             info_task(source_images=True)]
    res, writes = run(box, run_playbook, tasks, verbosity=4, diff=True)
    assert res.rc == 0, res
    assert res.entry('bad')['status'] == 'ignored'
    assert SECRET not in res.stdout and SECRET not in res.stderr


_PROBE = '''
import atexit, os, runpy, sys
def report():
    loaded = sorted({m.split('.')[2] for m in sys.modules if m.startswith('azure.mgmt.')})
    sys.stderr.write('AZURE_MGMT=%s\\n' % ','.join(loaded))
atexit.register(report)
runpy.run_module(os.environ['PROBE_MODULE'], run_name='__main__')
'''


def loaded_mgmt_packages(box, tmp_path, module, args):
    """Run a module in-process as Ansible would and list the azure.mgmt packages it imported."""
    import json
    import subprocess
    import sys

    from tests.helpers.playbook import COLLECTIONS, clean_env

    args_file = tmp_path / ('%s-args.json' % module)
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': {**box.auth_vars(0, 'app'), **args}}))
    env = clean_env({'PYTHONPATH': str(COLLECTIONS),
                     'PROBE_MODULE': 'ansible_collections.w365.cloudpc.plugins.modules.%s' % module})
    proc = subprocess.run([sys.executable, '-c', _PROBE, str(args_file)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.stdout.strip(), proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    line = [x for x in proc.stderr.splitlines() if x.startswith('AZURE_MGMT=')][-1]
    return result, [p for p in line.split('=', 1)[1].split(',') if p]


def test_graph_only_paths_import_no_azure_mgmt_package(box, tmp_path):
    result, loaded = loaded_mgmt_packages(box, tmp_path, 'w365_custom_image_info', {'source_images': True})
    assert not result.get('failed'), result
    assert result['source_images'] and loaded == []

    args = dict(name='In Use Image', version='1.0.0', source_image_id=src('win11-golden'), validate_source=False)
    result, loaded = loaded_mgmt_packages(box, tmp_path, 'w365_custom_image', args)
    assert result['changed'] is False and result['image']['id'] == IN_USE_ID, result
    assert loaded == []

    # The pre-upload checks read the source image (and, for a gallery version, its definition) and the role
    # assignments with plain ARM REST (module.arm), so no azure-mgmt package is loaded at all (azure-mgmt-authorization
    # only once a grant is written).
    args = dict(name='Probe', version='1.0.0', source_image_id=src('win11-golden'), _ansible_check_mode=True)
    result, loaded = loaded_mgmt_packages(box, tmp_path, 'w365_custom_image', args)
    assert result['changed'] is True, result
    assert loaded == []


def test_two_runs_at_once_upload_once_and_both_succeed(box, run_playbook):
    """Both runs read "no image" (the emulator holds each POST back before acting on it), both POST; the loser's 409
    makes it wait on the winner's upload instead of failing or uploading twice."""
    from concurrent.futures import ThreadPoolExecutor

    args = dict(name='Concurrent', version='1.0.0', source_image_id=src('win11-golden'))
    box.clear_requests()
    box.fault({'method': 'POST', 'path': IMAGES_PATH + '$', 'latency_ms': 4000, 'count': 2})
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            runs = list(pool.map(lambda _i: run_playbook(play(box, [image_task(**args)])), range(2)))
    finally:
        box.clear_faults()
    outs = [r.result('out') for r in runs]
    assert all(r.rc == 0 for r in runs), runs
    posts = [(w['method'], w.get('status')) for w in image_posts(box.writes())]
    assert sorted(status for _m, status in posts) == [201, 409], 'the runs did not race: %s' % posts
    assert sorted(o['changed'] for o in outs) == [False, True]
    assert outs[0]['image']['id'] == outs[1]['image']['id']
    assert all(o['image']['status'] == 'ready' for o in outs)
    assert len(sandbox_images(box, 'Concurrent')) == 1
