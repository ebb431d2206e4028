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

"""Start and stop service processes, and remember them in the state file.

Every process the deployer starts gets its own session (process group), its
output in a log file in the workdir, and an entry in ``state.json`` with its
pid, start time and command.  ``down`` stops exactly those processes: a pid is
only signalled when the process behind it still has the recorded start time,
so a recycled pid is never hit.  Nothing is ever signalled by name.
"""

import json
import os
import signal
import subprocess
import threading
import time

import psutil

from cellv2_conformance.common import filelock
from cellv2_conformance import errors
from cellv2_conformance import redact

STATE_FILE = 'state.json'
# One lock over state.json and the fault journal of a deployment: every
# read-modify-write of either happens under it, in any process.
STATE_LOCK = '.state.lock'


def state_lock(workdir):
    return filelock.locked(os.path.join(workdir, STATE_LOCK))


class DeployError(errors.CannotRun, RuntimeError):
    """A deployment step failed; the message says what, where and what next."""


def write_private(path, text):
    """Write a file readable by its owner only (it may hold secrets)."""
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class State:
    """The workdir's record of what was started (``state.json``, mode 0600).

    Written after every change so that ``down`` can clean up after a deploy
    that crashed or was killed half-way.  Every change is a
    read-modify-write under the workdir's state lock (:func:`state_lock`):
    the file is re-read first, so a writer never puts back a stale copy
    (a fault heal that restarted a process with a new pid, say).
    """

    def __init__(self, workdir, data=None):
        self.workdir = workdir
        self.path = os.path.join(workdir, STATE_FILE)
        self.data = data or {'processes': {}, 'resources': [],
                             'status': 'deploying'}
        self._lock = threading.RLock()
        # Set when a deployment is being torn down: no new process starts.
        self.abort = None

    @classmethod
    def load(cls, workdir):
        path = os.path.join(workdir, STATE_FILE)
        try:
            with open(path, encoding='utf-8') as f:
                data = json.load(f)
        except ValueError as e:
            raise DeployError('%s is not valid JSON (%s): not a state file '
                              'of cellv2-conformance' % (path, e))
        except OSError as e:
            raise DeployError('cannot read %s: %s' % (path, e.strerror))
        if not isinstance(data, dict) or not isinstance(
                data.get('processes'), dict):
            raise DeployError('%s is not a state file of cellv2-conformance'
                              % path)
        return cls(workdir, data)

    @classmethod
    def exists(cls, workdir):
        return os.path.exists(os.path.join(workdir, STATE_FILE))

    def reload(self):
        """Re-read the file (another process may have changed it)."""
        with self._lock:
            if os.path.exists(self.path):
                self.data = State.load(self.workdir).data
            return self

    def update(self, change):
        """``change(data)`` applied to the current file, under the lock."""
        with state_lock(self.workdir), self._lock:
            if os.path.exists(self.path):
                self.data = State.load(self.workdir).data
            change(self.data)
            write_private(self.path, json.dumps(self.data, indent=1,
                                                sort_keys=True))

    def save(self):
        """Write the in-memory state as it is (the deployer's first write)."""
        with state_lock(self.workdir), self._lock:
            write_private(self.path, json.dumps(self.data, indent=1,
                                                sort_keys=True))

    @property
    def processes(self):
        """A snapshot of the recorded processes (name -> record).

        Deployment steps run in threads and record processes while others
        iterate, so callers always get a copy taken under the lock.
        """
        with self._lock:
            return dict(self.data['processes'])

    def add_process(self, name, record):
        self.update(lambda data: data['processes'].__setitem__(name, record))

    def add_resource(self, kind, **info):
        """Record something outside the workdir to remove on ``down``."""
        self.update(lambda data: data['resources'].append(
            dict(kind=kind, **info)))

    def set(self, key, value):
        self.update(lambda data: data.__setitem__(key, value))


def start(state, name, argv, log_path, env=None, cwd=None, kind='service',
          meta=None):
    """Start ``argv`` in its own session, output appended to ``log_path``.

    The process is started and recorded under the state lock, so ``down``
    (which marks the state ``stopping`` under that lock before it stops
    anything) never misses it; once a deployment is stopping or aborted,
    nothing new starts.
    """
    with state_lock(state.workdir):
        state.reload()
        if (state.abort is not None and state.abort.is_set()) or \
                state.data.get('status') in ('stopping', 'down'):
            raise Aborted('%s: not started: the deployment is being torn '
                          'down' % name)
        return _start(state, name, argv, log_path, env, cwd, kind, meta)


def _start(state, name, argv, log_path, env, cwd, kind, meta):
    # Never the caller's working directory: it may be deleted while the
    # service runs (RabbitMQ's management statistics then crash on every
    # request: file:get_cwd() -> enoent; seen in the fault soak).
    cwd = cwd or state.workdir
    full_env = dict(os.environ)
    # Never leak a caller's OpenStack credentials into our services.
    for k in list(full_env):
        if k.startswith('OS_') and k not in ('OS_TEST_PATH',):
            del full_env[k]
    full_env.update(env or {})
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    log = open(log_path, 'ab')
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, env=full_env, cwd=cwd,
            start_new_session=True, close_fds=True)
    except FileNotFoundError:
        raise DeployError('%s: cannot start %s: no such program. Is it '
                          'installed? (run tools/bootstrap.sh)' % (
                              name, argv[0]))
    finally:
        log.close()
    try:
        created = psutil.Process(proc.pid).create_time()
    except psutil.Error:
        created = None
    record = {'pid': proc.pid, 'pgid': proc.pid, 'create_time': created,
              'argv': redact.argv(argv), 'log': log_path, 'kind': kind,
              'started_at': time.time(),
              # The explicit extra environment (config paths, never
              # secrets), so a fault can restart the process the same way.
              'env': redact.data(dict(env or {})), 'cwd': cwd}
    record.update(meta or {})
    state.add_process(name, record)
    # Keep the Popen object so the kernel entry is reaped when it exits while
    # this process still runs (no zombies during a long run).
    _CHILDREN[proc.pid] = proc
    return record


_CHILDREN = {}


def _proc(record):
    """The live psutil.Process for a record, or None if it is gone/reused."""
    try:
        p = psutil.Process(record['pid'])
        if record.get('create_time') and abs(
                p.create_time() - record['create_time']) > 0.5:
            return None
        if p.status() == psutil.STATUS_ZOMBIE:
            _reap(record['pid'])
            return None
        return p
    except psutil.Error:
        return None


def _reap(pid):
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        try:
            child.wait(timeout=0)
        except subprocess.TimeoutExpired:
            pass


def is_alive(record):
    return _proc(record) is not None


def _group_members(record):
    """Processes still in the record's process group (same session)."""
    members = []
    pgid = record.get('pgid', record['pid'])
    for p in psutil.process_iter(['pid']):
        try:
            if os.getpgid(p.pid) == pgid and p.create_time() >= (
                    (record.get('create_time') or 0) - 0.5):
                members.append(p)
        except (OSError, psutil.Error):
            continue
    return members


def stop(record, timeout=15.0):
    """SIGTERM the process group, wait, SIGKILL what is left. Idempotent."""
    p = _proc(record)
    members = _group_members(record) if p is not None else []
    if p is None and not members:
        _reap(record['pid'])
        return False
    pgid = record.get('pgid', record['pid'])
    try:
        os.killpg(pgid, signal.SIGTERM)
    except OSError:
        for m in members:
            try:
                m.terminate()
            except psutil.Error:
                pass
    procs = members or [p]
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for m in alive:
        try:
            m.kill()
        except psutil.Error:
            pass
    if alive:
        psutil.wait_procs(alive, timeout=5)
    _reap(record['pid'])
    return True


def signal_process(record, sig):
    """Send ``sig`` to the recorded process (and its group)."""
    p = _proc(record)
    if p is None:
        raise DeployError('process pid %s is not running' % record['pid'])
    os.killpg(record.get('pgid', record['pid']), sig)


def rss_mib(record):
    total = 0
    for m in _group_members(record) if is_alive(record) else []:
        try:
            total += m.memory_info().rss
        except psutil.Error:
            pass
    return round(total / 1048576.0, 1)


def tail(path, lines=20):
    try:
        with open(path, 'rb') as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read().decode('utf-8', 'replace')
    except OSError:
        return '(no log at %s)' % path
    return redact.text('\n'.join(data.splitlines()[-lines:]))


class Aborted(DeployError):
    """Another deployment step failed; this one stopped early."""


def run(name, argv, log_path, env=None, timeout=300, cwd=None, abort=None):
    """Run a one-shot command to completion; raise DeployError on failure.

    ``abort`` (a threading.Event) stops the command early when set.
    """
    full_env = dict(os.environ)
    for k in list(full_env):
        if k.startswith('OS_'):
            del full_env[k]
    full_env.update(env or {})
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    t0 = time.monotonic()
    argv_shown = redact.argv(argv)
    with open(log_path, 'ab') as log:
        log.write(('\n### %s: %s\n' % (name, ' '.join(argv_shown))).encode())
        log.flush()
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT,
                                    env=full_env, cwd=cwd)
        except FileNotFoundError:
            raise DeployError('%s: no such program %s (run '
                              'tools/bootstrap.sh)' % (name, argv[0]))
        try:
            while True:
                try:
                    rc = proc.wait(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if abort is not None and abort.is_set():
                    proc.terminate()
                    proc.wait(10)
                    raise Aborted('%s: stopped because another step failed'
                                  % name)
                if time.monotonic() - t0 > timeout:
                    proc.kill()
                    proc.wait(10)
                    raise DeployError('%s: did not finish within %ds; see '
                                      '%s\n%s' % (name, timeout, log_path,
                                                  tail(log_path)))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    if rc != 0:
        raise DeployError('%s failed (exit %d)\ncommand: %s\nlog %s, last '
                          'lines:\n%s' % (name, rc, ' '.join(argv_shown),
                                          log_path, tail(log_path)))
    return time.monotonic() - t0


class Interrupted(errors.Interrupted, DeployError):
    """Ctrl-C or SIGTERM stopped the command (exit code 130)."""
