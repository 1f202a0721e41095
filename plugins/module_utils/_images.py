# -*- coding: utf-8 -*-
# Copyright: (c) 2026, w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic for Windows 365 custom device images (Graph ``cloudPcDeviceImage``).

Nothing here talks to a service: validation of the user's options, identity of an image by name and
version, the decision of what a run has to do, the explanation of upload error codes, and the mapping
between Graph objects and the ``image`` result the modules return.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.w365.cloudpc.plugins.module_utils._constants import (
    API_COMPUTE, API_COMPUTE_GALLERY, GRAPH_DEVICE_IMAGES_PATH, GRAPH_PROVISIONING_POLICIES_PATH, IMAGE_MAX_OS_DISK_GB)
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError

IMAGES_PATH = GRAPH_DEVICE_IMAGES_PATH
SOURCE_IMAGES_PATH = IMAGES_PATH + '/getSourceImages()'
POLICIES_PATH = GRAPH_PROVISIONING_POLICIES_PATH

# Kinds of upload source. Microsoft's "Device images overview" page: a custom image is stored "as a managed image in
# Azure or in an Azure Compute Gallery (currently in Public Preview)"; Graph beta cloudPcSourceDeviceImage.category
# names the two: managedImage, azureComputeGallery.
MANAGED_IMAGE = 'managed_image'
GALLERY_IMAGE_VERSION = 'gallery_image_version'

# Graph leaves the newer error codes out (reporting them as unknownFutureValue) unless asked for them.
PREFER_ALL_ENUM_MEMBERS = {'Prefer': 'include-unknown-enum-members'}

STATUS_PENDING = 'pending'
STATUS_READY = 'ready'
STATUS_FAILED = 'failed'
FINAL_STATUSES = (STATUS_READY, STATUS_FAILED)

_VERSION_RE = re.compile(r'^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$')
_MANAGED_IMAGE_RE = re.compile(
    r'^/subscriptions/(?P<subscription>[0-9a-fA-F-]{36})'
    r'/resourceGroups/(?P<resource_group>[^/]+)'
    r'/providers/Microsoft\.Compute/images/(?P<image>[^/]+)$',
    re.IGNORECASE,
)
_GALLERY_VERSION_RE = re.compile(
    r'^/subscriptions/(?P<subscription>[0-9a-fA-F-]{36})'
    r'/resourceGroups/(?P<resource_group>[^/]+)'
    r'/providers/Microsoft\.Compute/galleries/(?P<gallery>[^/]+)'
    r'/images/(?P<definition>[^/]+)/versions/(?P<version>[^/]+)$',
    re.IGNORECASE,
)
_GALLERY_ANY_RE = re.compile(r'/providers/Microsoft\.Compute/galleries/', re.IGNORECASE)
_GALLERY_VERSION_NAME_RE = re.compile(r'^[0-9]+\.[0-9]+\.[0-9]+$')

# Keys are lower case: Graph's own schema copies disagree on case (vmAlreadyAzureAdJoined vs ...Adjoined).
ERROR_CODES = {
    'internalservererror': (
        'Windows 365 hit an internal error while importing the image; the source image itself may be fine.',
        'Retry the upload with retry_failed=true. If it fails again, open a support case with the image ID.',
    ),
    'sourceimagenotfound': (
        'Windows 365 could not find the source image: it was deleted or moved, or the Windows 365 service '
        'principal cannot read its subscription.',
        'Check source_image_id, keep the managed image until the upload is ready, and grant the Windows 365 '
        'service principal Reader on the subscription (w365.cloudpc.w365_role_grant with purpose=custom_image).',
    ),
    'osversionnotsupported': (
        'The operating system or its version is not supported by Windows 365.',
        'Build the image from a supported Windows 10 or Windows 11 Enterprise release (not N, LTSC or '
        'Windows 10 multi-session), as a Generation 2 single-session image.',
    ),
    'sourceimageinvalid': (
        'The source image does not meet the Windows 365 image requirements (for example a Generation 1 '
        'image, a data disk, or a recovery partition).',
        'Capture a Generation 2 managed image with only an OS disk, no recovery partition, from a '
        'single-session Windows 10/11 Enterprise VM.',
    ),
    'sourceimagenotgeneralized': (
        'The source image was captured without being generalized.',
        'Run sysprep on the VM (sysprep /generalize /oobe /shutdown), capture a new generalized managed image, '
        'and upload it under a new version.',
    ),
    'vmalreadyazureadjoined': (
        'The VM the image was captured from was joined to Microsoft Entra ID (or AD, Intune or co-management).',
        'Build the image from a VM that was never joined or enrolled, then upload it under a new version.',
    ),
    'paidsourceimagenotsupport': (
        'The source image comes from a paid Azure Marketplace offer, which Windows 365 does not accept.',
        'Build the image from a Windows 10/11 Enterprise image without a paid Marketplace plan.',
    ),
    'sourceimagenotsupportcustomizevmname': (
        'The source image does not let Windows 365 set the computer name during provisioning.',
        'Remove any fixed computer name (for example an unattend ComputerName setting) before sysprep, then '
        'capture and upload a new version.',
    ),
    'sourceimagesizeexceedslimitation': (
        'The source image is larger than Windows 365 accepts.',
        'Capture the image from a VM with a smaller OS disk (the default is 64 GB; Windows 365 resizes the '
        'disk to the licence size) and no data disks.',
    ),
    'unknownfuturevalue': (
        'The service reported an error code newer than this API version can name.',
        'Look at the image in the Windows 365 admin center for the reason, fix the source image, and upload a '
        'new version.',
    ),
}


def validate_version(version: Optional[str]) -> str:
    """Return the version if it is Major.Minor.Patch with integer parts, else raise naming the option."""
    if version is None or not _VERSION_RE.fullmatch(str(version)):
        raise W365ConfigError(
            'version',
            'version must be Major.Minor.Patch with non-negative integers and no leading zeros, for example '
            '1.0.0; got %r.' % (version,),
        )
    return str(version)


def parse_source_image_id(source_image_id: Optional[str]) -> Dict[str, Any]:
    """Split an upload source into its parts: a managed image or an image version in an Azure Compute Gallery.

    Returns a dict with ``id``, ``kind`` (MANAGED_IMAGE or GALLERY_IMAGE_VERSION), ``subscription_id``,
    ``resource_group`` and ``name``; gallery versions also carry ``gallery``, ``definition``, ``version`` and
    ``definition_id``. Anything else raises W365ConfigError naming source_image_id.
    """
    text = (source_image_id or '').strip().rstrip('/')
    match = _MANAGED_IMAGE_RE.fullmatch(text)
    if match:
        return {
            'id': text,
            'kind': MANAGED_IMAGE,
            'subscription_id': match.group('subscription').lower(),
            'resource_group': match.group('resource_group'),
            'name': match.group('image'),
        }
    match = _GALLERY_VERSION_RE.fullmatch(text)
    if match and _GALLERY_VERSION_NAME_RE.fullmatch(match.group('version')):
        return {
            'id': text,
            'kind': GALLERY_IMAGE_VERSION,
            'subscription_id': match.group('subscription').lower(),
            'resource_group': match.group('resource_group'),
            'name': '%s/%s' % (match.group('definition'), match.group('version')),
            'gallery': match.group('gallery'),
            'definition': match.group('definition'),
            'version': match.group('version'),
            'definition_id': text.rsplit('/versions/', 1)[0],
        }
    if _GALLERY_ANY_RE.search(text):
        raise W365ConfigError(
            'source_image_id',
            'source_image_id points into an Azure Compute Gallery but not at one image version. Give the full ID of '
            'the version (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/galleries/<gallery>/'
            'images/<definition>/versions/<Major.Minor.Patch>); "latest" and image definitions are not accepted, '
            'because an uploaded image must not change under the same version; got %r.' % (source_image_id,),
        )
    raise W365ConfigError(
        'source_image_id',
        'source_image_id must be the resource ID of a managed image '
        '(/subscriptions/<subscription GUID>/resourceGroups/<rg>/providers/Microsoft.Compute/images/<name>) or of '
        'an image version in an Azure Compute Gallery (.../providers/Microsoft.Compute/galleries/<gallery>/images/'
        '<definition>/versions/<version>); got %r.' % (source_image_id,),
    )


def graph_version_for(source: Mapping[str, Any]) -> str:
    """Graph API version for uploading a source: gallery image versions are a preview, so they go to beta."""
    return 'beta' if source.get('kind') == GALLERY_IMAGE_VERSION else 'v1.0'


def source_reads(source: Mapping[str, Any]) -> List[Tuple[str, str]]:
    """[(ARM path, api-version), ...] of the documents that describe a source: the managed image, or the gallery
    image version and its image definition (Microsoft.Compute/galleries/images/versions and .../images)."""
    if source.get('kind') == GALLERY_IMAGE_VERSION:
        return [(source['id'], API_COMPUTE_GALLERY), (source['definition_id'], API_COMPUTE_GALLERY)]
    return [(source['id'], API_COMPUTE)]


def source_facts(source: Mapping[str, Any], documents: List[Dict[str, Any]]) -> Dict[str, Any]:
    """What the Windows 365 image requirements are checked against, from the ARM documents of ``source_reads``.

    Managed image (Microsoft.Compute/images): properties.hyperVGeneration (V1 when absent, as Azure defaults),
    storageProfile.osDisk.osType / osState / diskSizeGB, storageProfile.dataDisks.
    Gallery image version: the definition's properties.osType / osState / hyperVGeneration, the version's
    storageProfile.osDiskImage.sizeInGB and storageProfile.dataDiskImages.
    """
    if source.get('kind') == GALLERY_IMAGE_VERSION:
        version_doc, definition_doc = documents
        version_props = (version_doc or {}).get('properties') or {}
        storage = version_props.get('storageProfile') or {}
        definition = (definition_doc or {}).get('properties') or {}
        return {
            'os_type': definition.get('osType'),
            'os_state': definition.get('osState'),
            'generation': definition.get('hyperVGeneration') or 'V1',
            'data_disks': len(storage.get('dataDiskImages') or []),
            'os_disk_gb': (storage.get('osDiskImage') or {}).get('sizeInGB'),
        }
    props = (documents[0] or {}).get('properties') or {}
    storage = props.get('storageProfile') or {}
    os_disk = storage.get('osDisk') or {}
    return {
        'os_type': os_disk.get('osType'),
        'os_state': os_disk.get('osState'),
        'generation': props.get('hyperVGeneration') or 'V1',
        'data_disks': len(storage.get('dataDisks') or []),
        'os_disk_gb': os_disk.get('diskSizeGB'),
    }


def requirement_problems(facts: Mapping[str, Any], max_os_disk_gb: int = IMAGE_MAX_OS_DISK_GB) -> List[Dict[str, Any]]:
    """Each Windows 365 image requirement the source breaks, as {'requirement', 'found', 'remedy'}.

    Requirements (Microsoft Learn, Windows 365 "Device images overview", Image requirements): Generation 2,
    generalized, Windows, no data disks attached before capture, the default 64 GB OS disk. Only what the Azure
    documents show is checked; the edition (Enterprise, not N or LTSC) and the image's history are left to the
    service.
    """
    problems = []
    os_type = facts.get('os_type')
    if os_type and str(os_type).lower() != 'windows':
        problems.append({'requirement': 'windows', 'found': 'OS type %s' % os_type,
                         'remedy': 'Windows 365 takes Windows 10 or 11 Enterprise images only.'})
    os_state = facts.get('os_state')
    if os_state and str(os_state).lower() != 'generalized':
        problems.append({'requirement': 'generalized', 'found': 'OS state %s' % os_state,
                         'remedy': 'Run sysprep on the VM (sysprep /generalize /oobe /shutdown) and capture a '
                                   'generalized image.'})
    generation = facts.get('generation')
    if generation and str(generation).upper() != 'V2':
        problems.append({'requirement': 'generation_2', 'found': 'Hyper-V generation %s' % generation,
                         'remedy': 'Capture the image from a Generation 2 VM (hyperVGeneration V2).'})
    if facts.get('data_disks'):
        problems.append({'requirement': 'no_data_disks', 'found': '%d data disk(s)' % facts['data_disks'],
                         'remedy': 'Detach the data disks from the VM before capturing the image.'})
    size = facts.get('os_disk_gb')
    if size is not None and max_os_disk_gb is not None and int(size) > int(max_os_disk_gb):
        problems.append({'requirement': 'os_disk_size', 'found': 'OS disk of %s GB' % size,
                         'remedy': 'Capture the image from a VM with an OS disk of at most %s GB (Windows 365 asks '
                                   'for the default 64 GB OS disk and resizes it to the licence\'s storage).'
                                   % max_os_disk_gb})
    return problems


def requirements_message(source: Mapping[str, Any], problems: Iterable[Mapping[str, Any]]) -> str:
    listed = '; '.join('%s (%s): %s' % (p['requirement'], p['found'], p['remedy']) for p in problems)
    return ('source image %s does not meet the Windows 365 image requirements, so it was not uploaded: %s.'
            % (source['id'], listed))


def validate_name(name: Optional[str]) -> str:
    if name is None or not str(name).strip():
        raise W365ConfigError('name', 'name must be a non-empty image display name.')
    return str(name)


def version_key(version: Optional[str]) -> Tuple[Any, ...]:
    """Versions compare by their integer parts, so 1.0.0 and 1.00.0 (as Graph might echo) are one version."""
    try:
        return tuple(int(part) for part in str(version).split('.'))
    except ValueError:
        return (str(version),)


def same_identity(image: Mapping[str, Any], name: str, version: Optional[str]) -> bool:
    """Graph identifies an image by displayName and version; names compare case-insensitively."""
    return (
        (image.get('displayName') or '').casefold() == name.casefold()
        and version_key(image.get('version')) == version_key(version)
    )


def find_images(images: Iterable[Dict[str, Any]], name: Optional[str] = None,
                version: Optional[str] = None) -> List[Dict[str, Any]]:
    """Images matching an optional name and an optional version, in the service's order."""
    found = []
    for image in images:
        if name is not None and (image.get('displayName') or '').casefold() != name.casefold():
            continue
        if version is not None and version_key(image.get('version')) != version_key(version):
            continue
        found.append(image)
    return found


def find_image(images: Iterable[Dict[str, Any]], name: str, version: str) -> Optional[Dict[str, Any]]:
    for image in images:
        if same_identity(image, name, version):
            return image
    return None


def same_source(a: Optional[str], b: Optional[str]) -> bool:
    return (a or '').strip().rstrip('/').casefold() == (b or '').strip().rstrip('/').casefold()


def immutable_conflict(image: Mapping[str, Any], source_image_id: Optional[str]) -> Optional[str]:
    """Message when an existing name+version was uploaded from another source, else None."""
    current = image.get('sourceImageResourceId')
    if same_source(current, source_image_id):
        return None
    return (
        'Image %r version %s already exists and was uploaded from %s; an uploaded image cannot be changed. '
        'Raise version (for example to %s) to upload %s, or delete this version first with state=absent.'
        % (image.get('displayName'), image.get('version'), current, next_patch(image.get('version')),
           source_image_id)
    )


def next_patch(version: Optional[str]) -> str:
    key = version_key(version)
    if len(key) == 3 and all(isinstance(part, int) for part in key):
        return '%d.%d.%d' % (key[0], key[1], key[2] + 1)
    return 'a higher version'


def create_body(name: str, version: str, source_image_id: str) -> Dict[str, Any]:
    return {
        'displayName': name,
        'version': version,
        'sourceImageResourceId': source_image_id,
    }


def explain_error(code: Optional[str]) -> Optional[Dict[str, Any]]:
    """Explanation and remedy for an upload error code, matched case-insensitively.

    Unknown codes are passed through unchanged with no explanation rather than guessed at.
    """
    if not code:
        return None
    known = ERROR_CODES.get(str(code).lower())
    if known is None:
        return {'code': code, 'known': False, 'explanation': None, 'remedy': None}
    return {'code': code, 'known': True, 'explanation': known[0], 'remedy': known[1]}


def failure_message(image: Mapping[str, Any]) -> str:
    """One sentence per fact: which image failed, the service's code, why, and what to do."""
    error = explain_error(image.get('errorCode'))
    head = 'Upload of image %r version %s (id %s) failed' % (
        image.get('displayName'), image.get('version'), image.get('id'))
    if error is None:
        return head + ' without an error code. Check the image in the Windows 365 admin center.'
    if not error['known']:
        return head + ' with error code %s (not one this collection knows; see the Windows 365 admin center).' % (
            error['code'],)
    return '%s with error code %s: %s %s' % (head, error['code'], error['explanation'], error['remedy'])


def to_result(image: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """The ``image`` result of the modules, from a Graph cloudPcDeviceImage."""
    if not image:
        return {}
    error = explain_error(image.get('errorCode'))
    return {
        'id': image.get('id'),
        'name': image.get('displayName'),
        'version': image.get('version'),
        'source_image_id': image.get('sourceImageResourceId'),
        'status': image.get('status'),
        'error_code': image.get('errorCode'),
        'error_explanation': error['explanation'] if error else None,
        'error_remedy': error['remedy'] if error else None,
        'operating_system': image.get('operatingSystem'),
        'os_build_number': image.get('osBuildNumber'),
        'os_status': image.get('osStatus'),
        'expiration_date': image.get('expirationDate'),
        'last_modified': image.get('lastModifiedDateTime'),
    }


def predicted_upload(name: str, version: str, source_image_id: str) -> Dict[str, Any]:
    """What check mode reports for an image it would upload: the service starts every upload as pending."""
    image = create_body(name, version, source_image_id)
    image['status'] = STATUS_PENDING
    return image


def source_image_to_result(source: Mapping[str, Any]) -> Dict[str, Any]:
    return {
        'resource_id': source.get('resourceId'),
        'name': source.get('displayName'),
        'subscription_id': source.get('subscriptionId'),
        'subscription_name': source.get('subscriptionDisplayName'),
        # Graph beta only; v1.0 lists managed images only.
        'category': source.get('category') or 'managedImage',
    }


def policies_using(policies: Iterable[Dict[str, Any]], image_id: Optional[str]) -> List[Dict[str, Any]]:
    """Provisioning policies that reference a custom image (Graph refuses to delete such an image)."""
    using = []
    for policy in policies:
        if (policy.get('imageType') or '').lower() != 'custom':
            continue
        if (policy.get('imageId') or '').casefold() == (image_id or '').casefold():
            using.append(policy)
    return using


def describe_use(module: Any, images: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Set ``in_use_by_policies`` (policy display names) on each image result; one policies read, only when there is
    an image. A refused read leaves None and warns: Windows 365 counts an image as in use when a provisioning policy
    references it, so that part stays unknown."""
    from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ApiError

    for image in images:
        image['in_use_by_policies'] = None
    if not images:
        return images
    try:
        policies = module.graph.list(POLICIES_PATH, params={'$select': 'id,displayName,imageType,imageId'})
    except W365ApiError as err:
        module.warn('could not list provisioning policies to tell which images are in use: HTTP %s %s'
                    % (err.status, err.code or ''))
        return images
    for image in images:
        image['in_use_by_policies'] = sorted((p.get('displayName') or p.get('id')
                                              for p in policies_using(policies, image.get('id'))),
                                             key=lambda n: str(n).lower())
    return images


def in_use_message(image: Mapping[str, Any], policies: Iterable[Mapping[str, Any]]) -> str:
    names = ', '.join('%r (id %s)' % (p.get('displayName'), p.get('id')) for p in policies)
    return (
        'Image %r version %s (id %s) is used by provisioning policies %s; Windows 365 cannot delete an image in '
        'use. Point those policies at another image or delete them, then rerun.'
        % (image.get('displayName'), image.get('version'), image.get('id'), names)
    )


def plan(current: Optional[Mapping[str, Any]], source_image_id: Optional[str], state: str, retry_failed: bool) -> str:
    """What a run must do, from the image found by name+version (or None).

    Returns one of: 'create', 'wait' (an upload is pending: wait for it, never POST again), 'ready',
    'retry' (failed and retry_failed), 'failed' (failed and no retry), 'conflict' (other source),
    'delete', 'absent'.
    """
    if state == 'absent':
        return 'delete' if current else 'absent'
    if current is None:
        return 'create'
    if immutable_conflict(current, source_image_id):
        return 'conflict'
    status = (current.get('status') or '').lower()
    if status == STATUS_FAILED:
        return 'retry' if retry_failed else 'failed'
    if status == STATUS_READY:
        return 'ready'
    return 'wait'
