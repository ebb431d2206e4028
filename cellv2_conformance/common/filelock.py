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

"""Advisory file locks (``flock``) that nest within one process.

``flock`` locks belong to an open file description: a second ``open`` +
``flock`` of the same file in the same process blocks on the first.  Fault
healing holds the deployment's state lock and, inside it, restarts a
process, which records the new pid under the same lock; so the lock is
reentrant per thread of this process (a thread-level RLock around one
flock per path).
"""

import contextlib
import fcntl
import os
import threading
import time


class LockTimeout(RuntimeError):
    """The lock was not obtained in time; the message names the file."""


_HELD = {}          # path -> [fd, depth, owner thread ident]
_GUARD = threading.Lock()
_RLOCKS = {}


def _rlock(path):
    with _GUARD:
        return _RLOCKS.setdefault(path, threading.RLock())


@contextlib.contextmanager
def locked(path, timeout=None, what=None):
    """Hold an exclusive flock on ``path`` (created 0600).

    ``timeout`` None waits forever; otherwise LockTimeout after that many
    seconds (0 = try once).
    """
    # One key per file, however it is spelt (a workdir reached through a
    # symlink, the journal path an inventory names): a second spelling
    # would open a second description of the same file and block on the
    # first, in this very thread.
    path = os.path.join(os.path.realpath(os.path.dirname(
        os.path.abspath(path))), os.path.basename(path))
    rl = _rlock(path)
    deadline = None if timeout is None else time.monotonic() + timeout
    if not rl.acquire(timeout=-1 if timeout is None else max(timeout, 0)):
        raise LockTimeout('%s is locked by another thread' % (what or path))
    try:
        held = _HELD.get(path)
        if held is not None:
            held[1] += 1
            try:
                yield
            finally:
                held[1] -= 1
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | (
                        0 if deadline is None else fcntl.LOCK_NB))
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockTimeout('%s is in use by another process' %
                                          (what or path))
                    time.sleep(0.1)
            _HELD[path] = [fd, 1]
            try:
                yield
            finally:
                _HELD.pop(path, None)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    finally:
        rl.release()
