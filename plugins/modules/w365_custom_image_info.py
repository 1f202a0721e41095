#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: w365_custom_image_info
short_description: List Windows 365 custom device images and the source images Windows 365 can upload
version_added: 0.1.0
description:
  - Lists the custom device images of the tenant (Microsoft Graph C(cloudPcDeviceImage)), all of them or those
    matching O(name) and O(version).
  - Failed images carry the service's error code with an explanation and a remedy.
  - With O(source_images=true) also lists the managed images Windows 365 can see and upload (Graph
    C(getSourceImages)); with O(gallery_sources=true) also the image versions in Azure Compute Galleries (a Windows
    365 preview, read through Graph beta).
author:
  - w365.cloudpc contributors (@w365)
extends_documentation_fragment:
  - w365.cloudpc.auth
  - w365.cloudpc.attributes
  - w365.cloudpc.attributes.actiongroup
  - w365.cloudpc.attributes.info_module
options:
  name:
    description:
      - Only images with this display name (compared case-insensitively).
    type: str
  version:
    description:
      - Only images with this version (Major.Minor.Patch).
    type: str
  source_images:
    description:
      - Also list the managed images Windows 365 can upload, under RV(source_images).
    type: bool
    default: false
  gallery_sources:
    description:
      - With O(source_images=true), read the source images from Graph beta, which also lists image versions in Azure
        Compute Galleries (preview; each entry's RV(source_images[].category) tells the kinds apart).
    type: bool
    default: false
notes:
  - Needs C(CloudPC.Read.All) or C(CloudPC.ReadWrite.All).
seealso:
  - module: w365.cloudpc.w365_custom_image
'''

EXAMPLES = r'''
- name: All custom images of the tenant
  w365.cloudpc.w365_custom_image_info:
  register: images

- name: One version, and the managed images that could be uploaded
  w365.cloudpc.w365_custom_image_info:
    name: Win11 Golden
    version: 1.2.0
    source_images: true
  register: golden

- name: Fail when an image upload failed
  ansible.builtin.assert:
    that: golden.images | selectattr('status', 'equalto', 'failed') | list | length == 0
    fail_msg: "{{ golden.images | map(attribute='error_remedy') | list }}"
'''

RETURN = r'''
images:
  description: The matching images, in the service's order.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Graph ID of the device image.
      type: str
    name:
      description: Display name.
      type: str
    version:
      description: Image version.
      type: str
    source_image_id:
      description: Resource ID of the managed image or gallery image version it was uploaded from.
      type: str
    status:
      description: V(pending), V(ready) or V(failed).
      type: str
    error_code:
      description: The service's error code when the upload failed, else null.
      type: str
    error_explanation:
      description: What RV(images[].error_code) means, when the collection knows the code.
      type: str
    error_remedy:
      description: How to fix it, when the collection knows the code.
      type: str
    operating_system:
      description: Operating system Windows 365 found in the image.
      type: str
    os_build_number:
      description: OS build number.
      type: str
    os_status:
      description: Support status of the OS.
      type: str
    expiration_date:
      description: Date after which the image can no longer be used to provision.
      type: str
    last_modified:
      description: When the image last changed.
      type: str
    in_use_by_policies:
      description:
        - Display names of the provisioning policies that use the image (Windows 365 refuses to delete an image in
          use). Null when the caller may not list provisioning policies (a warning says so).
      type: list
      elements: str
source_images:
  description: Managed images Windows 365 can upload; only with O(source_images=true).
  returned: when O(source_images=true)
  type: list
  elements: dict
  contains:
    resource_id:
      description: Resource ID of the managed image or gallery image version (use it as
        O(w365.cloudpc.w365_custom_image#module:source_image_id)).
      type: str
    category:
      description: V(managedImage) or V(azureComputeGallery) (Graph beta C(cloudPcSourceDeviceImage.category));
        V(managedImage) when read from v1.0, which lists managed images only.
      type: str
    name:
      description: Name of the source image.
      type: str
    subscription_id:
      description: Subscription holding it.
      type: str
    subscription_name:
      description: Display name of that subscription.
      type: str
auth_method:
  description: The sign-in method used.
  returned: always
  type: str
  sample: client_secret
'''

from ansible_collections.w365.cloudpc.plugins.module_utils import _images
from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module


def run(module):
    params = module.params
    name = _images.validate_name(params['name']) if params['name'] is not None else None
    version = _images.validate_version(params['version']) if params['version'] is not None else None
    images = module.graph.list(_images.IMAGES_PATH, headers=_images.PREFER_ALL_ENUM_MEMBERS)
    result = {'images': [_images.to_result(image) for image in _images.find_images(images, name, version)]}
    _images.describe_use(module, result['images'])
    if params['source_images']:
        sources = module.graph.list(_images.SOURCE_IMAGES_PATH,
                                    version='beta' if params['gallery_sources'] else 'v1.0')
        result['source_images'] = [_images.source_image_to_result(source) for source in sources]
    module.exit(False, **result)


def main():
    module = W365Module(
        argument_spec=dict(
            name=dict(type='str'),
            version=dict(type='str'),
            source_images=dict(type='bool', default=False),
            gallery_sources=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    module.run(lambda: run(module), 'Listing custom images')


if __name__ == '__main__':
    main()
