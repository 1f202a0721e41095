#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: w365_custom_image
short_description: Upload, wait for and delete Windows 365 custom device images
version_added: 0.1.0
description:
  - Uploads a managed image, or an image version in an Azure Compute Gallery (preview), from an Azure subscription as
    a Windows 365 custom device image (Microsoft Graph C(cloudPcDeviceImage)), waits until Windows 365 has imported
    it, and deletes images.
  - An image is identified by O(name) and O(version). An uploaded image cannot be changed; to upload another
    source, raise O(version).
  - Before uploading, checks that the source image exists, that it meets the Windows 365 image requirements that
    Azure shows (Hyper-V generation 2, generalized, Windows, no data disks, OS disk no larger than
    O(max_os_disk_size_gb)), and that the Windows 365 service principal holds Reader on the source image's
    subscription (see M(w365.cloudpc.w365_role_grant) with C(purpose=custom_image)). No write is sent when a check
    fails, so a source Windows 365 would refuse is not uploaded and its version is not used up.
  - An upload takes a long time in real tenants. When O(wait_timeout) runs out the upload keeps running in
    Windows 365; running the task again resumes waiting on the same upload and never starts a second one.
  - A failed upload fails the task with the service's error code, what it means and how to fix it.
author:
  - w365.cloudpc contributors (@w365)
extends_documentation_fragment:
  - w365.cloudpc.auth
  - w365.cloudpc.attributes
  - w365.cloudpc.attributes.actiongroup
attributes:
  check_mode:
    support: full
    details:
      - Reads only and does not wait; reports what an upload, retry or delete would change and fails on the checks a
        real run would fail.
      - A missing Reader grant for Windows 365 is a warning in check mode, because an earlier
        M(w365.cloudpc.w365_role_grant) task of the same play only predicted it.
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  name:
    description:
      - Display name of the image. Compared case-insensitively.
    type: str
    required: true
  version:
    description:
      - Image version as Major.Minor.Patch non-negative integers, for example C(1.0.0).
      - Together with O(name) it identifies the image.
    type: str
    required: true
  source_image_id:
    description:
      - Resource ID of the image to upload, either a managed image,
        C(/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/images/<name>), or an image version in
        an Azure Compute Gallery,
        C(/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/galleries/<gallery>/images/<definition>/versions/<version>).
      - Gallery image versions are a preview in Windows 365 (Microsoft's device images overview); they are uploaded
        through the Graph beta endpoint. Name one version; C(latest) and image definitions are refused.
      - Required when O(state=present).
    type: str
  state:
    description:
      - V(present) uploads the image unless the same name and version exists; V(absent) deletes it.
      - Deleting an image that a provisioning policy uses is refused, naming the policies.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - Wait until the upload is V(ready) or V(failed).
      - With V(false) the task returns as soon as the upload has started (status V(pending)).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the upload. When they run out the task fails and says that the upload is still running;
        run it again to go on waiting for the same upload.
    type: int
    default: 3600
  retry_failed:
    description:
      - Retry an upload that has failed instead of failing the task.
      - Uses the Graph beta action C(retryUpload), which keeps the image ID. When the service does not offer that
        action (HTTP 404, 405 or 501), deletes the failed image and uploads it again, which gives it a new ID.
    type: bool
    default: false
  max_os_disk_size_gb:
    description:
      - Largest OS disk, in GB, the source image may have. Microsoft's image requirements ask for the default 64 GB OS
        disk, which Windows 365 resizes to the storage of each licence.
      - Raise it only when every licence the image will be provisioned on has at least that much storage.
    type: int
    default: 64
  validate_source:
    description:
      - Check before uploading that the source image exists, meets the image requirements above, and that the
        Windows 365 service principal holds Reader on its subscription. Reads Azure Resource Manager and role
        assignments with your credentials.
      - Turn off only when your credentials cannot read the source subscription; Windows 365 then reports problems
        as a failed upload.
    type: bool
    default: true
notes:
  - Graph has no update for device images; this module never patches an image.
  - When two runs upload the same name and version at once, the service accepts one; the other run waits on that
    upload and reports RV(ignore:changed=false).
  - An upload request whose answer is lost (dropped connection, timeout, HTTP 5xx) is looked for by name and version
    before it is sent again, so an upload the service started is adopted and never started twice.
  - Uploading needs C(CloudPC.ReadWrite.All). The pre-upload checks also need Reader on the source subscription
    (to read the image and its role assignments) and C(Application.Read.All) on Graph (to find the Windows 365
    service principal).
seealso:
  - module: w365.cloudpc.w365_custom_image_info
  - module: w365.cloudpc.w365_role_grant
  - name: Add or delete custom device images
    description: Windows 365 documentation.
    link: https://learn.microsoft.com/windows-365/enterprise/add-device-images
  - name: Device images overview
    description: Windows 365 image requirements.
    link: https://learn.microsoft.com/windows-365/enterprise/device-images
'''

EXAMPLES = r'''
- name: Let Windows 365 read the image subscription
  w365.cloudpc.w365_role_grant:
    purpose: custom_image
    subscription_id: 6f1c1c1e-0000-4000-8000-000000000001

- name: Upload the golden image and wait until it is ready
  w365.cloudpc.w365_custom_image:
    name: Win11 Golden
    version: 1.2.0
    source_image_id: /subscriptions/6f1c1c1e-0000-4000-8000-000000000001/resourceGroups/rg-images/providers/Microsoft.Compute/images/win11-golden
    wait_timeout: 5400

- name: Start an upload without waiting (a later run with wait=true picks it up)
  w365.cloudpc.w365_custom_image:
    name: Win11 Golden
    version: 1.3.0
    source_image_id: /subscriptions/6f1c1c1e-0000-4000-8000-000000000001/resourceGroups/rg-images/providers/Microsoft.Compute/images/win11-golden-v13
    wait: false

- name: Upload an image version from an Azure Compute Gallery (preview)
  vars:
    image_rg_id: /subscriptions/6f1c1c1e-0000-4000-8000-000000000001/resourceGroups/rg-images
  w365.cloudpc.w365_custom_image:
    name: Win11 Golden
    version: 2.0.0
    source_image_id: "/subscriptions/6f1c1c1e-0000-4000-8000-000000000001/resourceGroups/rg-images/providers/\
      Microsoft.Compute/galleries/gal_cpc/images/win11-cpc/versions/2.0.0"

- name: Retry an upload that failed for a transient reason
  w365.cloudpc.w365_custom_image:
    name: Win11 Golden
    version: 1.3.0
    source_image_id: /subscriptions/6f1c1c1e-0000-4000-8000-000000000001/resourceGroups/rg-images/providers/Microsoft.Compute/images/win11-golden-v13
    retry_failed: true

- name: Delete an old version
  w365.cloudpc.w365_custom_image:
    name: Win11 Golden
    version: 1.0.0
    state: absent
'''

RETURN = r'''
image:
  description:
    - The image after the task (the predicted image in check mode); empty when it is absent.
  returned: always
  type: dict
  contains:
    id:
      description: Graph ID of the device image.
      type: str
      sample: 8e6d2e5e-7d44-4c1f-9c7e-2b1c1b7b9a01
    name:
      description: Display name.
      type: str
      sample: Win11 Golden
    version:
      description: Image version.
      type: str
      sample: 1.2.0
    source_image_id:
      description: Resource ID of the managed image or gallery image version it was uploaded from.
      type: str
    status:
      description: V(pending), V(ready) or V(failed).
      type: str
      sample: ready
    error_code:
      description: The service's error code when the upload failed, else null.
      type: str
      sample: sourceImageNotGeneralized
    error_explanation:
      description: What RV(image.error_code) means, when the collection knows the code.
      type: str
    error_remedy:
      description: How to fix it, when the collection knows the code.
      type: str
    operating_system:
      description: Operating system Windows 365 found in the image.
      type: str
      sample: Windows 11 Enterprise
    os_build_number:
      description: OS build number.
      type: str
    os_status:
      description: Support status of the OS (V(supported), V(supportedWithWarning), V(unknown)).
      type: str
    expiration_date:
      description: Date after which the image can no longer be used to provision.
      type: str
    last_modified:
      description: When the image last changed.
      type: str
auth_method:
  description: The sign-in method used.
  returned: always
  type: str
  sample: client_secret
'''

from ansible_collections.w365.cloudpc.plugins.module_utils import _converge, _images
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import (
    W365ApiError,
    W365ConfigError,
    W365Error,
    W365WaitTimeout,
)
from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module
from ansible_collections.w365.cloudpc.plugins.module_utils._resource import ResourceTask

# HTTP answers that mean "this service does not offer retryUpload", not "this image failed to retry".
_ACTION_NOT_OFFERED = (404, 405, 501)
# Uploads take tens of minutes: poll soon after a start (cheap GETs), then settle at the slower interval.
WAIT_INTERVAL = 30
FIRST_POLL = 1.0


class ImageTaskFailed(W365Error):
    """The task must fail with `msg`; carries the image as last seen and the service error it explains, if any."""

    def __init__(self, msg, image=None, api_error=None):
        self.msg = msg
        self.image = image
        self.api_error = api_error
        super().__init__('%s: %s' % (msg, api_error) if api_error is not None else msg)

    @property
    def result(self):
        return {'image': _images.to_result(self.image)}


class ImageTask(ResourceTask):
    """One run of the module against one image (name and version)."""

    def __init__(self, module):
        super().__init__(module)
        self.name = self.version = self.source = None

    # -- reads -------------------------------------------------------------------------------------------------
    def list_images(self):
        return self.graph.list(_images.IMAGES_PATH, headers=_images.PREFER_ALL_ENUM_MEMBERS)

    def get_image(self, image_id):
        return self.graph.get_or_none('%s/%s' % (_images.IMAGES_PATH, image_id),
                                      headers=_images.PREFER_ALL_ENUM_MEMBERS)

    def check_source(self, source):
        """Fail before any write when the source image is missing or Windows 365 cannot read its subscription."""
        from ansible_collections.w365.cloudpc.plugins.module_utils._grants import SP_CREATE_HINT, check_grants
        from ansible_collections.w365.cloudpc.plugins.module_utils._ids import NetworkTarget
        from ansible_collections.w365.cloudpc.plugins.module_utils._service_principal import (
            find_windows365_principal)

        documents = []
        for path, api_version in _images.source_reads(source):
            try:
                documents.append(self.module.arm.get_or_none(path, api_version))
            except W365ApiError as err:
                if err.status != 403:
                    raise
                raise ImageTaskFailed(
                    'Cannot read the source image %s with your credentials, so it cannot be checked before the '
                    'upload. Get Reader on it (or its subscription), or set validate_source=false to leave the check '
                    'to Windows 365.' % path, api_error=err)
            if documents[-1] is None:
                what = 'managed image' if source['kind'] == _images.MANAGED_IMAGE else (
                    'gallery image version' if path == source['id'] else 'gallery image definition')
                raise W365ConfigError(
                    'source_image_id',
                    '%s %s was not found, or your credentials cannot see it. Check the ID (subscription, resource '
                    'group and names) and that you have at least Reader on it.' % (what, path))
        # The image requirements Azure can show, before anything is written: a source Windows 365 refuses would
        # otherwise be found out only after the upload wait, with its version used up (issue 12).
        problems = _images.requirement_problems(_images.source_facts(source, documents),
                                                self.params['max_os_disk_size_gb'])
        if problems:
            raise W365ConfigError('source_image_id', _images.requirements_message(source, problems))

        try:
            principal_id = find_windows365_principal(self.graph)
        except W365ApiError as err:
            if err.status != 403:
                raise
            raise ImageTaskFailed(
                'Cannot look up the Windows 365 service principal to check its Reader grant: the signed-in identity '
                'lacks the Graph permission Application.Read.All. Grant it, or set validate_source=false to leave '
                'the check to Windows 365.', api_error=err)
        if principal_id is None:
            raise W365ConfigError(
                'validate_source',
                'the Windows 365 service principal does not exist in this tenant, so Windows 365 cannot read the '
                'source image. ' + SP_CREATE_HINT)
        target = NetworkTarget('/subscriptions/%s' % source['subscription_id'], None, None, None)
        report = check_grants(self.module, principal_id, 'custom_image', target)
        if report.missing:
            missing = ', '.join('%s on %s' % (m['role_name'], m['scope']) for m in report.missing)
            text = ('the Windows 365 service principal (object ID %s) lacks %s, so it cannot read the source image. '
                    'Grant it first with w365.cloudpc.w365_role_grant (purpose: custom_image, subscription_id: %s).'
                    % (principal_id, missing, source['subscription_id']))
            if self.module.check_mode:
                # An earlier w365_role_grant task of the same play only predicted the grant in check mode, so
                # failing here would wrongly fail a play that works; say what a real run needs instead.
                self.module.warn('A real run will refuse this upload unless the grant exists by then: ' + text)
                return
            raise W365ConfigError('source_image_id', text)

    # -- writes ------------------------------------------------------------------------------------------------
    def upload(self, name, version, source_id):
        # Gallery image versions are a Windows 365 preview: they go to Graph beta, managed images to v1.0.
        image = self.graph.post(_images.IMAGES_PATH, _images.create_body(name, version, source_id),
                                version=_images.graph_version_for(_images.parse_source_image_id(source_id)))
        self.changed = True
        return image

    def delete(self, image_id):
        self.graph.delete('%s/%s' % (_images.IMAGES_PATH, image_id))
        self.changed = True

    def retry(self, image, name, version, source_id):
        """Retry a failed upload: beta retryUpload keeps the ID; without it, delete and upload again."""
        try:
            self.graph.post('%s/%s/retryUpload' % (_images.IMAGES_PATH, image['id']), None, version='beta')
        except W365ApiError as err:
            if err.status not in _ACTION_NOT_OFFERED:
                raise
            self.delete(image['id'])
            again = self.upload(name, version, source_id)
            self.module.warn('The service does not offer retryUpload (HTTP %s %s): deleted the failed image %s and '
                             'uploaded it again as %s.' % (err.status, err.code, image['id'], again.get('id')))
            return again
        self.changed = True
        # retryUpload answers 204 with no body: read the image back to report its new state.
        return self.get_image(image['id']) or image

    # -- waiting -----------------------------------------------------------------------------------------------
    def wait_for(self, image):
        from ansible_collections.w365.cloudpc.plugins.module_utils._waiter import wait_until

        image_id = image['id']
        timeout = self.params['wait_timeout']

        def fetch():
            current = self.get_image(image_id)
            if current is None:
                raise ImageTaskFailed('Image %r version %s (id %s) disappeared while waiting for its upload; someone '
                                      'deleted it.' % (image.get('displayName'), image.get('version'), image_id))
            return current

        def done(current):
            return (current.get('status') or '').lower() in _images.FINAL_STATUSES

        try:
            return wait_until(fetch, done, timeout, WAIT_INTERVAL,
                              'upload of image %r version %s' % (image.get('displayName'), image.get('version')),
                              first_interval=FIRST_POLL)
        except W365WaitTimeout as err:
            last = err.last or image
            raise ImageTaskFailed(
                'Timed out after %s s waiting for the upload of image %r version %s (id %s, status %s). The upload '
                'is still running in Windows 365; run the task again to resume waiting for this same upload (no new '
                'upload is started), or raise wait_timeout.'
                % (timeout, last.get('displayName'), last.get('version'), image_id, last.get('status')), image=last)

    def finish_present(self, image):
        """Wait if asked, then fail on a failed upload with its explanation."""
        # Check mode reports the upload as it stands: waiting would only delay a prediction that cannot change.
        if (self.params['wait'] and not self.module.check_mode
                and (image.get('status') or '').lower() not in _images.FINAL_STATUSES):
            image = self.wait_for(image)
        if (image.get('status') or '').lower() == _images.STATUS_FAILED:
            raise ImageTaskFailed(_images.failure_message(image), image=image)
        return image

    def join_concurrent_upload(self, name, version, source, conflict):
        """Another run uploaded the same name and version between our read and our POST: wait on that upload."""
        raced = _images.find_image(self.list_images(), name, version)
        if raced is None:
            raise conflict
        message = _images.immutable_conflict(raced, source['id'])
        if message:
            raise ImageTaskFailed(message, image=raced)
        return self.finish_present(raced)

    # -- desired state -----------------------------------------------------------------------------------------
    def ensure_present(self, current):
        """(changed, image); check mode decided here."""
        name, version, source = self.name, self.version, self.source
        action = _images.plan(current, source['id'], 'present', self.params['retry_failed'])
        if action == 'conflict':
            raise ImageTaskFailed(_images.immutable_conflict(current, source['id']), image=current)
        if action == 'failed':
            raise ImageTaskFailed(
                _images.failure_message(current) + ' Set retry_failed=true to retry this upload, or upload the '
                'fixed source under a new version.', image=current)
        if action == 'ready':
            return False, current
        if action == 'wait':
            return False, self.finish_present(current)

        if self.params['validate_source']:
            self.check_source(source)
        if self.module.check_mode:
            return True, _images.predicted_upload(name, version, source['id'])
        if action == 'create':
            def find_created():
                return _images.find_image(self.list_images(), name, version)

            try:
                # An upload whose answer is lost is looked for (name + version) before it is sent again.
                image, read_back = _converge.create_reading_back(
                    lambda: self.upload(name, version, source['id']), find_created)
            except W365ApiError as err:
                if err.status != 409:
                    raise
                return False, self.join_concurrent_upload(name, version, source, err)
            if read_back:
                # This run's upload, or a racing run's with the same name and version: either way the one upload.
                self.changed = True
                message = _images.immutable_conflict(image, source['id'])
                if message:
                    raise ImageTaskFailed(message, image=image)
        else:
            image = self.retry(current, name, version, source['id'])
        return True, self.finish_present(image)

    def ensure_absent(self, current):
        if current is None:
            return False, None
        policies = self.graph.list(_images.POLICIES_PATH)
        using = _images.policies_using(policies, current.get('id'))
        if using:
            raise ImageTaskFailed(_images.in_use_message(current, using), image=current)
        if not self.module.check_mode:
            self.delete(current['id'])
        return True, None

    def check_inputs(self):
        params = self.params
        self.name = _images.validate_name(params['name'])
        self.version = _images.validate_version(params['version'])
        if params['state'] == 'present':
            self.source = _images.parse_source_image_id(params['source_image_id'])
        if params['max_os_disk_size_gb'] < 1:
            raise W365ConfigError('max_os_disk_size_gb', 'must be 1 or more GB, got %s.' % params['max_os_disk_size_gb'])
        if params['wait_timeout'] < 0:
            raise W365ConfigError('wait_timeout', 'must be 0 or more seconds, got %s.' % params['wait_timeout'])

    def read(self):
        return _images.find_image(self.list_images(), self.name, self.version)

    def exit(self, changed, current, after):
        result = _images.to_result(after)
        self.module.exit(changed, diff={'before': _images.to_result(current), 'after': result}, image=result)


def main():
    module = W365Module(
        argument_spec=dict(
            name=dict(type='str', required=True),
            version=dict(type='str', required=True),
            source_image_id=dict(type='str'),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            wait=dict(type='bool', default=True),
            wait_timeout=dict(type='int', default=3600),
            retry_failed=dict(type='bool', default=False),
            max_os_disk_size_gb=dict(type='int', default=64),
            validate_source=dict(type='bool', default=True),
        ),
        required_if=[('state', 'present', ['source_image_id'])],
        supports_check_mode=True,
    )
    task = ImageTask(module)
    module.run(task.run, 'Custom image %r version %s' % (module.params['name'], module.params['version']),
               result=task.changes)


if __name__ == '__main__':
    main()
