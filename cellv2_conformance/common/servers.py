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

"""Boot, wait for and delete servers the way every cells check needs them.

* ``networks='none'`` (the local clouds have no tenant networks), so the
  create request needs microversion >= 2.37; targeting a host uses the 2.74
  ``host`` field (admin only).  :func:`api_version` switches tempest.lib's
  compute microversion for a block and restores the previous one.
* Waiting goes through the one waiter (:mod:`..common.waiters`): ERROR fails
  fast, a timeout raises, transitions are logged.
* Cleanup is registered by the caller's ``add_cleanup`` right after the
  create call returns, before any wait, and is NotFound-tolerant and waits
  until the server is gone.
"""

import contextlib
import time

from tempest.lib import exceptions as lib_exc
from tempest.lib.services.compute import base_compute_client

from cellv2_conformance.common import naming
from cellv2_conformance.common import waiters

HOST_MICROVERSION = '2.74'


@contextlib.contextmanager
def api_version(version):
    """Use compute microversion ``version`` for the block, then restore."""
    previous = base_compute_client.COMPUTE_MICROVERSION
    base_compute_client.COMPUTE_MICROVERSION = version
    try:
        yield
    finally:
        base_compute_client.COMPUTE_MICROVERSION = previous


def name(kind='server'):
    return naming.rand_name(kind)


def _status(server):
    task = server.get('OS-EXT-STS:task_state')
    return server['status'] + ('/%s' % task if task else '')


def create(client, flavor, image, add_cleanup, host=None, server_name=None,
           delete_timeout=120, interval=0.5, **extra):
    """POST /servers and register the deletion; does not wait.

    :param add_cleanup: ``addCleanup`` or ``addClassResourceCleanup``.
    :param host: compute host to build on (2.74, admin only).
    :returns: the create response's ``server`` (id, links, ...).
    """
    body = dict(name=server_name or name(), flavorRef=flavor,
                imageRef=image, networks='none', **extra)
    if host:
        body['host'] = host
    with api_version(HOST_MICROVERSION):
        server = client.create_server(**body)['server']
    add_cleanup(delete, client, server['id'], delete_timeout, interval)
    return server


def wait_status(client, server_id, status, timeout, interval=0.5,
                fail_on_error=True):
    """Wait until the server has ``status`` and no task_state; returns
    ``(server, transitions)``.
    """
    seen = {}

    def fetch():
        seen['server'] = client.show_server(server_id)['server']
        return seen['server']

    history = waiters.wait_for(
        fetch,
        done=lambda s: (s['status'] == status and
                        not s.get('OS-EXT-STS:task_state')),
        what='server %s' % server_id, goal=status, timeout=timeout,
        interval=interval, state_of=_status,
        error=(lambda s: s['status'] == 'ERROR') if (
            fail_on_error and status != 'ERROR') else None)
    return seen['server'], history


def delete(client, server_id, timeout=120, interval=0.5):
    """Delete a server (NotFound-tolerant) and wait until it is gone."""
    try:
        client.delete_server(server_id)
    except lib_exc.NotFound:
        return
    waiters.wait_for(lambda: client.show_server(server_id)['server'],
                     done=lambda s: False, what='server %s' % server_id,
                     goal='deleted', timeout=timeout, interval=interval,
                     state_of=_status, not_found_ok=True)


def boot(client, flavor, image, add_cleanup, timeout, host=None,
         interval=0.5, status='ACTIVE', **extra):
    """Create a server and wait for ``status``; returns the server."""
    server = create(client, flavor, image, add_cleanup, host=host,
                    delete_timeout=timeout, interval=interval, **extra)
    return wait_status(client, server['id'], status, timeout,
                       interval=interval)[0]


def boot_many(client, flavor, image, add_cleanup, timeout, requests,
              interval=0.5, status='ACTIVE', on_active=None):
    """Create several servers at once and wait for all of them together.

    The builds run concurrently in the cloud; the API calls are sequential
    (tempest clients are not thread-safe).  One waiter polls every server,
    so the time each one took is known to within one poll interval.

    :param requests: list of dicts of ``create`` keyword arguments
        (``host``, ``server_name``, ...).
    :param on_active: called as ``on_active(request, server, seconds)``
        for each server, with the seconds from its create call to the first
        poll that saw it in ``status`` (a timing sample).
    :returns: the servers (as last shown), in the order of ``requests``.
    """
    started, ids = {}, []
    for r in requests:
        t0 = time.monotonic()
        server = create(client, flavor, image, add_cleanup,
                        delete_timeout=timeout, interval=interval, **r)
        started[server['id']] = t0
        ids.append(server['id'])
    reached, last = {}, {}

    def fetch():
        for sid in ids:
            if sid in reached:
                continue
            last[sid] = client.show_server(sid)['server']
            if (last[sid]['status'] == status and
                    not last[sid].get('OS-EXT-STS:task_state')):
                reached[sid] = time.monotonic() - started[sid]
        return last

    waiters.wait_for(
        fetch, done=lambda _: len(reached) == len(ids),
        what='servers %s' % ', '.join(ids), goal=status, timeout=timeout,
        interval=interval,
        state_of=lambda cur: ' '.join(sorted(
            '%s=%s' % (k[:8], _status(v)) for k, v in cur.items())),
        error=lambda cur: status != 'ERROR' and any(
            v['status'] == 'ERROR' for v in cur.values()))
    if on_active:
        for req, sid in zip(requests, ids):
            on_active(req, last[sid], reached[sid])
    return [last[sid] for sid in ids]
