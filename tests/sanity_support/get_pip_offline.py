# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for ansible-test's pip bootstrap script when ci-files.testing.ansible.com is unreachable.

ansible-test creates each sanity virtualenv without pip and runs this file (cached as get_pip_<version>.py) with
`pip install` arguments such as `--disable-pip-version-check pip==24.2 --no-setuptools --no-wheel`. The official
script carries an embedded pip; this one installs the pip bundled with Python (ensurepip, offline) and then lets it
install the requested versions from the package index.
"""

import subprocess
import sys

# get-pip.py understands these; `pip install` does not.
GET_PIP_ONLY = {'--no-setuptools', '--no-wheel'}

if __name__ == '__main__':
    args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
    # A child process: ensurepip.bootstrap() in-process sets PIP_CONFIG_FILE=/dev/null for the rest of the process,
    # which would hide the machine's pip.conf (index, proxy CA) from the install below.
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'])
    sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install', '--quiet'] + args))
