# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""The deployment directory: ours only if we created it.

``claim`` takes a directory for a deployment: a new one (created 0700), an
empty one, or one that already carries our marker file; anything else is
refused, so ``down`` can never delete a user's files.  The marker records
whether the directory itself was created by us and which top-level entries
the deployment made; ``remove`` deletes exactly those (never ``reports``)
and the directory only if we created it.

Two locks live here:

* the *command* lock (``.lock``): one deploy or down at a time;
* the *state* lock (``.state.lock``): every read-modify-write of
  ``state.json`` and of the fault journal, by any process (deployer,
  fault injection, watchdog, down), so no writer works from a stale copy.
"""

import json
import os
import shutil
import time

from cellv2_conformance.common import filelock
from cellv2_conformance.deploy.process import DeployError
from cellv2_conformance.deploy.process import STATE_LOCK

MARKER = '.cellv2-conformance'
COMMAND_LOCK = '.lock'
KEEP = ('reports',)
# What a deployment makes at the top level of its workdir (a deploy killed
# before it could list its entries in the marker still gets cleaned).
KNOWN = ('etc', 'logs', 'mariadb', 'rabbitmq', 'keystone', 'glance', 'nova',
         'neutron', 'blazar', 'tempest', 'state.json', 'state.json.tmp',
         'cells-inventory.yaml', 'cells-inventory.yaml.tmp', 'clouds.yaml',
         'clouds.yaml.tmp', 'deploy-timings.json', 'faults.jsonl',
         COMMAND_LOCK, STATE_LOCK)


def marker_path(workdir):
    return os.path.join(workdir, MARKER)


def read_marker(workdir):
    try:
        with open(marker_path(workdir), encoding='utf-8') as f:
            data = json.load(f)
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def is_ours(workdir):
    return read_marker(workdir) is not None


def _write_marker(workdir, data):
    from cellv2_conformance.deploy import process
    process.write_private(marker_path(workdir), json.dumps(data, indent=1))


def claim(workdir):
    """Make ``workdir`` a deployment directory of ours (mode 0700)."""
    workdir = os.path.abspath(workdir)
    created = False
    if os.path.lexists(workdir) and not os.path.isdir(workdir):
        raise DeployError('workdir %s exists and is not a directory' %
                          workdir)
    if not os.path.exists(workdir):
        try:
            os.makedirs(workdir, mode=0o700)
        except OSError as e:
            raise DeployError('cannot create workdir %s: %s' % (
                workdir, e.strerror))
        created = True
    marker = read_marker(workdir)
    if marker is None:
        try:
            entries = os.listdir(workdir)
        except OSError as e:
            raise DeployError('cannot read workdir %s: %s' % (
                workdir, e.strerror))
        if entries and 'state.json' not in entries:
            # (a state.json: a deployment of a version before the marker)
            raise DeployError(
                'workdir %s is not empty and was not created by '
                'cellv2-conformance (no %s file); `down` would delete what '
                'is in it. Choose a new or empty directory.' % (
                    workdir, MARKER))
        marker = {'created_dir': created, 'claimed_at': time.time(),
                  'entries': []}
        _write_marker(workdir, marker)
    try:
        os.chmod(workdir, 0o700)
    except OSError as e:
        raise DeployError('cannot make workdir %s private (chmod 700): %s' %
                          (workdir, e.strerror))
    return marker


def record_entries(workdir):
    """Remember every top-level entry the deployment made."""
    marker = read_marker(workdir)
    if marker is None:
        return
    have = set(marker.get('entries') or [])
    have.update(e for e in os.listdir(workdir) if e not in KEEP)
    marker['entries'] = sorted(have)
    _write_marker(workdir, marker)


def remove(workdir):
    """Delete what the deployment made; the directory itself only if we
    created it and nothing else is left.  Returns the entries kept.
    """
    if not os.path.isdir(workdir):
        return []
    marker = read_marker(workdir)
    if marker is None:
        if not os.path.exists(os.path.join(workdir, 'state.json')):
            return sorted(os.listdir(workdir))
        # A deployment made before workdirs carried the marker: only the
        # entries a deployment makes.
        marker = {'created_dir': False, 'entries': []}
    ours = (set(KNOWN) | set(marker.get('entries') or [])) - set(KEEP)
    for entry in sorted(ours):
        p = os.path.join(workdir, entry)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p, ignore_errors=True)
        elif os.path.lexists(p):
            try:
                os.unlink(p)
            except OSError:
                pass
    left = sorted(e for e in os.listdir(workdir) if e != MARKER)
    if not left:
        if os.path.exists(marker_path(workdir)):
            os.unlink(marker_path(workdir))
        if marker.get('created_dir'):
            try:
                os.rmdir(workdir)
            except OSError:
                pass
    return left


def command_lock(workdir, timeout=0):
    """One deploy/down at a time in a workdir (LockTimeout otherwise)."""
    return filelock.locked(
        os.path.join(workdir, COMMAND_LOCK), timeout=timeout,
        what='workdir %s (another cellv2-conformance deploy or down is '
        'running there)' % workdir)


def state_lock(workdir):
    """The lock over state.json and the fault journal."""
    from cellv2_conformance.deploy import process
    return process.state_lock(workdir)
