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

"""`run` and `validate`: the suite against a local or an existing cloud,
and the report directory of a run.

``run`` deploys a scenario, runs tempest, ALWAYS tears the cloud down
(unless ``--keep``; also on failure, Ctrl-C or SIGTERM) and writes the
report directory.  ``validate`` runs the same suite against an existing
cloud after checking that its tempest.conf, keystone and cells inventory
are usable.  (``report``, in cmd/report.py, re-derives or compares.)

Exit codes: 0 no check failed (skips, known findings, findings no longer
reproduced without ``[cellv2] strict_findings`` and tests not run because
of a failed class setup - itself one failure - are not failures),
1 a check failed (or tempest broke mid-run), 2 the cloud or its
configuration could not be set up, 64 usage error, 130 interrupted.
"""

import configparser
import contextlib
import datetime
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

import psutil
import testtools

from cellv2_conformance.cmd import audit as audit_cmd
from cellv2_conformance.cmd import shell
from cellv2_conformance import redact
from cellv2_conformance.report import bundle
from cellv2_conformance.report import document
from cellv2_conformance.report import results as results_mod

DEFAULT_REGEX = 'cellv2_conformance'
TEMPEST_GRACE_S = 30


class SetupError(Exception):
    """The cloud or its configuration is not usable (exit code 2)."""


def _say(msg):
    print(redact.text(msg), flush=True)


def _err(msg):
    print('cellv2-conformance: error: %s' % redact.text(msg),
          file=sys.stderr, flush=True)


def _stamp(prefix):
    return '%s-%s' % (prefix, datetime.datetime.now(
        datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ'))


# ----------------------------------------------------------------------
# tempest.conf
# ----------------------------------------------------------------------
def _parser():
    # [DEFAULT] is an ordinary section for oslo.config: no propagation of
    # its keys into the other sections.
    return configparser.ConfigParser(interpolation=None, strict=False,
                                     default_section='\x00none')


def read_conf(path):
    cp = _parser()
    try:
        with open(path, encoding='utf-8') as f:
            cp.read_file(f)
    except FileNotFoundError:
        raise SetupError('tempest.conf %s does not exist' % path)
    except (OSError, configparser.Error) as e:
        raise SetupError('cannot read tempest.conf %s: %s' % (path, e))
    for sect, key in (('auth', 'admin_password'),
                      ('identity', 'admin_password')):
        redact.register(cp.get(sect, key, fallback=None))
    return cp


def conf_path_opt(cp, section, key, base):
    value = cp.get(section, key, fallback='').strip()
    if not value:
        return None
    if section == 'DEFAULT' and key == 'log_file':
        base = cp.get('DEFAULT', 'log_dir', fallback='').strip() or base
    return value if os.path.isabs(value) else os.path.join(base, value)


class Inputs:
    """Files a run appends to, with their size before the run so only this
    run's part is reported (tempest.log and the JSONL files append).
    """

    def __init__(self, tempest_log=None, timings=None, faults=None,
                 deploy_timings=None):
        self.paths = {'tempest.log': tempest_log, 'timings.jsonl': timings,
                      'faults.jsonl': faults,
                      'deploy-timings.json': deploy_timings}
        self.offsets = {}

    def mark(self):
        for name, path in self.paths.items():
            if path and name != 'deploy-timings.json':
                self.offsets[name] = bundle.file_size(path)

    def copy_to(self, report_dir):
        copied = []
        for name, path in self.paths.items():
            if path and bundle.copy_redacted(
                    path, os.path.join(report_dir, name),
                    self.offsets.get(name, 0)):
                copied.append(name)
        return copied


# ----------------------------------------------------------------------
# running tempest
# ----------------------------------------------------------------------
class _Tee:
    """File-like reader that also writes what it reads to ``dst``."""

    def __init__(self, src, dst):
        self.src, self.dst = src, dst

    def read(self, n=-1):
        data = self.src.read(n)
        if data:
            self.dst.write(data)
        return data


class _Progress(testtools.StreamResult):
    """Prints one line per finished test, subunit-trace style, so Zuul's
    failure-output regex ``{N} id [1.23s] ... FAILED`` matches.
    """

    WORDS = {'success': 'ok', 'fail': 'FAILED', 'skip': 'SKIPPED',
             'xfail': 'ok (known finding)',
             'uxsuccess': 'FAILED (unexpected success)',
             'not_reproduced': 'ok (finding no longer reproduced)'}

    def __init__(self, out=_say):
        super().__init__()
        self.out = out
        self.sink = testtools.StreamToDict(self._on_test)
        self.done = 0

    def startTestRun(self):
        self.sink.startTestRun()

    def stopTestRun(self):
        self.sink.stopTestRun()

    def status(self, *args, **kwargs):
        self.sink.status(*args, **kwargs)

    def _on_test(self, d):
        if not d.get('id') or d.get('status') == 'exists':
            return
        self.done += 1
        worker = next((t[7:] for t in d.get('tags') or ()
                       if t.startswith('worker-')), '?')
        start, stop = (list(d.get('timestamps') or []) + [None, None])[:2]
        secs = (stop - start).total_seconds() if start and stop else 0.0
        rec = results_mod.record(d)
        status = rec['status']
        word = self.WORDS.get(status, 'FAILED (%s)' % status)
        if status == 'not_reproduced' and rec.get('strict'):
            word = 'FAILED (finding no longer reproduced; strict_findings)'
        if status in ('xfail', 'not_reproduced'):
            ids = [f['id'] for f in rec.get('findings') or [] if 'id' in f]
            if ids:
                word += ': ' + ', '.join(ids)
        if status == 'skip' and rec.get('reason'):
            word += ': ' + rec['reason'].strip()[:150]
        self.out('{%s} %s [%.3fs] ... %s' % (worker, d['id'], secs, word))


def tempest_bin():
    here = os.path.join(os.path.dirname(os.path.abspath(sys.executable)),
                        'tempest')
    if os.access(here, os.X_OK):
        return here
    found = shutil.which('tempest')
    if not found:
        raise SetupError('the tempest command is not installed in this '
                         'environment')
    return found


def _env():
    env = dict(os.environ)
    env['PATH'] = os.path.dirname(os.path.abspath(sys.executable)) + (
        os.pathsep + env.get('PATH', ''))
    return env


def list_tests(conf, cwd, regex, report_dir, timeout=600):
    """The test ids ``regex`` selects, written to selected-tests.txt.
    A discovery failure (a check module that does not import) is a setup
    error: the run would silently shrink otherwise.
    """
    if not os.path.isdir(os.path.join(cwd, '.stestr')):
        subprocess.run([sys.executable, '-m', 'stestr', 'init'], cwd=cwd,
                       capture_output=True, env=_env(), timeout=60)
    argv = [tempest_bin(), 'run', '--config-file', conf, '--regex', regex,
            '--list-tests']
    try:
        p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                           env=_env(), timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SetupError('listing the tests took more than %ds' % timeout)
    if p.returncode != 0:
        lines = [ln for ln in (p.stdout + '\n' + p.stderr).splitlines()
                 if ln.strip() and not ln.startswith(('===', '---'))]
        raise SetupError('test discovery failed (exit %d): %s' % (
            p.returncode, ' | '.join(ln.strip() for ln in lines[-6:])))
    ids = [ln.strip() for ln in p.stdout.splitlines()
           if ln.strip() and ' ' not in ln.strip()]
    with open(os.path.join(report_dir, bundle.SELECTED), 'w',
              encoding='utf-8') as f:
        f.write(''.join(i + '\n' for i in ids))
    return ids


def run_tempest(conf, cwd, regex, concurrency, report_dir, out=_say):
    """Run tempest with a subunit v2 stream to ``results.subunit``; prints
    progress; returns tempest's exit code.  Ctrl-C and SIGTERM stop the
    tempest process group, then re-raise.
    """
    argv = [tempest_bin(), 'run', '--config-file', conf, '--regex', regex,
            '--concurrency', str(concurrency), '--subunit']
    out('running: %s (in %s)' % (' '.join(argv), cwd))
    env = _env()
    # tempest's raw output (unredacted) lives in unnamed files (O_TMPFILE:
    # mode 0600, no directory entry): nothing is left in the report dir
    # on any exit, even kill -9; only the redacted copies get a name.
    with tempfile.TemporaryFile(dir=report_dir) as stream, \
            tempfile.TemporaryFile(dir=report_dir) as err:
        try:
            proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE,
                                    stderr=err, env=env,
                                    start_new_session=True)
            reader = threading.Thread(target=_pump, daemon=True, args=(
                proc.stdout, stream, _Progress(out), out))
            reader.start()
            try:
                rc = proc.wait()
            except KeyboardInterrupt:
                out('interrupted: stopping tempest')
                _stop_group(proc)
                reader.join(10)
                raise
            reader.join()
        finally:
            stream.flush()
            err.flush()
            _keep_redacted(report_dir, stream, err)
    return rc


def _pump(pipe, stream, progress, out):
    """Copy tempest's stdout to ``stream`` while printing progress."""
    import subunit
    progress.startTestRun()
    try:
        subunit.ByteStreamToStreamResult(
            _Tee(pipe, stream), non_subunit_name='stdout').run(progress)
    except Exception as e:   # keep copying the raw stream
        out('progress display stopped: %s' % e)
        shutil.copyfileobj(pipe, stream)
    finally:
        progress.stopTestRun()


def _keep_redacted(report_dir, stream, stderr):
    """Only redacted copies of tempest's output reach the report dir."""
    def path(f):
        return '/proc/self/fd/%d' % f.fileno()
    try:
        bundle.redact_stream(path(stream), os.path.join(report_dir,
                                                        bundle.SUBUNIT))
    finally:
        bundle.copy_redacted(path(stderr), os.path.join(
            report_dir, 'tempest-stderr.log'))


def _stop_group(proc):
    for sig, wait in ((signal.SIGINT, TEMPEST_GRACE_S),
                      (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """SIGTERM (CI job timeout, `kill`) unwinds like Ctrl-C so teardown and
    reports still happen.
    """
    def handler(signum, frame):
        raise KeyboardInterrupt()
    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextlib.contextmanager
def _shielded(what):
    """Ignore Ctrl-C while ``what`` (teardown) runs: a half-done teardown
    leaves processes behind.
    """
    def handler(signum, frame):
        _say('%s in progress; please wait' % what)
    old_int = signal.signal(signal.SIGINT, handler)
    old_term = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)


# ----------------------------------------------------------------------
# reports
# ----------------------------------------------------------------------
def write_reports(report_dir, started, mode, scenario=None, inv=None,
                  error=None, command=None, regex=None):
    """Build run.json from the files in ``report_dir`` and derive the rest.
    Returns the document.
    """
    doc = bundle.build(report_dir, started, document.utcnow(), mode,
                       scenario=scenario, inventory=inv, error=error,
                       command=command, regex=regex)
    try:
        doc = bundle.render(report_dir, doc)
    except Exception as e:   # keep at least run.json; say what broke
        document.write(os.path.join(report_dir, bundle.RUN_JSON), doc)
        _err('could not render the reports in %s: %s: %s' % (
            report_dir, type(e).__name__, e))
    return doc


def _exit_code(doc, tempest_rc, interrupted):
    if interrupted:
        return 130
    if doc.get('verdict') == 'fail':
        return 1
    if doc.get('verdict') in ('error', 'empty'):
        return 1 if doc.get('results') else 2
    if tempest_rc not in (None, 0):
        return 1
    return 0


def _finish(doc, report_dir, code):
    c = doc.get('counts') or {}
    _say('%s: %d tests, %d passed, %d failed, %d skipped, %d known '
         'findings, %d findings no longer reproduced%s, %d not run '
         '(class setup failed), %d unexpected successes' % (
             (doc.get('verdict') or '?').upper(), c.get('total', 0),
             c.get('success', 0), c.get('fail', 0), c.get('skip', 0),
             c.get('xfail', 0), c.get('not_reproduced', 0),
             ' (failing: strict_findings)' if any(
                 results_mod.failed(r) for r in doc.get('results') or []
                 if r['status'] == 'not_reproduced') else '',
             c.get('not_run', 0), c.get('uxsuccess', 0)))
    if doc.get('error'):
        _err(doc['error'])
    _say('report: %s' % os.path.join(report_dir, 'report.html'))
    return code


def _no_results_error(rc, report_dir, regex):
    tail = ''
    try:
        with open(os.path.join(report_dir, 'tempest-stderr.log'),
                  encoding='utf-8') as f:
            lines = [ln.strip() for ln in f if ln.strip()]
        tail = lines[-1] if lines else ''
    except OSError:
        pass
    if rc == 0:
        return 'no test matched --regex %r' % regex
    return 'tempest exited with %s and reported no test result%s (see %s)' % (
        rc, ': ' + tail if tail else '',
        os.path.join(report_dir, 'tempest-stderr.log'))


# ----------------------------------------------------------------------
# run
# ----------------------------------------------------------------------
def cmd_run(args):
    from cellv2_conformance.cmd import down as down_cmd
    from cellv2_conformance.deploy import deployer
    from cellv2_conformance.deploy.process import DeployError
    from cellv2_conformance import inventory as inventory_mod
    from cellv2_conformance import scenario as scenario_mod

    started = document.utcnow()
    workdir = os.path.abspath(args.workdir)
    from cellv2_conformance.deploy import workdir as workdir_mod
    sc = scenario_mod.load(args.scenario)        # ScenarioError -> 2
    workdir_mod.claim(workdir)    # before a report dir is made inside it
    report_dir = os.path.abspath(args.report_dir or os.path.join(
        workdir, 'reports', _stamp('run')))
    os.makedirs(report_dir, exist_ok=True)
    d = deployer.Deployer(sc, workdir)
    inv = None
    error = None
    tempest_rc = None
    interrupted = False
    setup_failed = False
    inputs = Inputs()
    with _sigterm_as_interrupt():
        try:
            try:
                inv_path = d.deploy()
            except DeployError as e:
                setup_failed = True
                error = 'deploy failed: %s' % e
                interrupted = 'interrupted' in str(e)
                inv_path = None
            if inv_path:
                conf = d.state.data['tempest_conf']
                cp = read_conf(conf)
                base = os.path.dirname(conf)
                inv = inventory_mod.load(inv_path)
                inputs = Inputs(
                    tempest_log=conf_path_opt(cp, 'DEFAULT', 'log_file',
                                              base),
                    timings=conf_path_opt(cp, 'cellv2', 'timings_file',
                                          base),
                    faults=inv.data.get('faults_journal') or os.path.join(
                        workdir, 'faults.jsonl'),
                    deploy_timings=os.path.join(workdir,
                                                'deploy-timings.json'))
                inputs.mark()
                inputs.offsets['deploy-timings.json'] = 0
                selected = list_tests(conf, os.path.join(workdir, 'tempest'),
                                      args.regex, report_dir)
                _say('%d test(s) selected by --regex %s' % (
                    len(selected), args.regex))
                tempest_rc = run_tempest(
                    conf, os.path.join(workdir, 'tempest'), args.regex,
                    args.concurrency, report_dir)
                audit_cmd.audit_into_report(report_dir, inv)
        except KeyboardInterrupt:
            interrupted = True
            error = 'interrupted'
        except (SetupError, inventory_mod.InventoryError) as e:
            setup_failed = True
            error = str(e)
        except Exception as e:      # a harness bug: still tear down, report
            setup_failed = True
            error = 'internal error: %s: %s' % (type(e).__name__, e)
            shell.log_traceback('internal error during run')
        finally:
            with _shielded('teardown'):
                if not inputs.paths.get('deploy-timings.json'):
                    inputs.paths['deploy-timings.json'] = os.path.join(
                        workdir, 'deploy-timings.json')
                inputs.copy_to(report_dir)
                if getattr(d, 'state', None) is None:
                    pass        # the deploy never started: nothing is ours
                elif args.keep:
                    _say('--keep: the cloud stays up; tear it down with '
                         '`cellv2-conformance down --workdir %s`' % workdir)
                else:
                    try:
                        # heal open faults, then stop (as `down` does)
                        down_cmd.down(workdir, keep=False, out=_say)
                    except Exception as e:
                        _err('teardown of %s failed: %s (run '
                             '`cellv2-conformance down --workdir %s`)' % (
                                 workdir, e, workdir))
    results_present = os.path.exists(os.path.join(report_dir,
                                                  bundle.SUBUNIT))
    if not error and tempest_rc is not None:
        parsed = results_mod.parse_file(os.path.join(
            report_dir, bundle.SUBUNIT)) if results_present else []
        if not parsed:
            error = _no_results_error(tempest_rc, report_dir, args.regex)
    doc = write_reports(report_dir, started, 'run', scenario=sc.name,
                        inv=inv, error=error, command=sys.argv,
                        regex=args.regex)
    if setup_failed:
        return _finish(doc, report_dir, 130 if interrupted else 2)
    return _finish(doc, report_dir, _exit_code(doc, tempest_rc,
                                               interrupted))


# ----------------------------------------------------------------------
# validate
# ----------------------------------------------------------------------
def check_conf(cp, path):
    if not cp.has_section('cellv2'):
        raise SetupError(
            '%s has no [cellv2] section: this tempest.conf was not set up '
            'for cellv2-conformance (add [cellv2] inventory, '
            'expected_cells, ...; see `oslo-config-generator --namespace '
            'cellv2_conformance`)' % path)
    if not cp.get('identity', 'uri_v3', fallback='').strip():
        raise SetupError('%s: [identity] uri_v3 is not set' % path)
    if not cp.get('service_available', 'blazar', fallback='').strip():
        _say('note: %s does not set [service_available] blazar: it '
             'defaults to true (the definition blazar-tempest-plugin '
             'shares); set it to false on a cloud without Blazar' % path)


def check_keystone(cp, timeout=15):
    """Authenticate as the configured admin (keystoneauth1, as tempest's
    own clients would): raise SetupError saying "unreachable" or "wrong
    credentials" (never the secret).
    """
    from cellv2_conformance.common import keystone
    uri = cp.get('identity', 'uri_v3').rstrip('/')
    verify = keystone.tempest_verify(cp)
    user = cp.get('auth', 'admin_username', fallback='')
    password = cp.get('auth', 'admin_password', fallback='')
    if not user or not password:
        try:
            keystone.unauthenticated_session(verify, timeout).get(
                uri, authenticated=False, raise_exc=False)
        except keystone.Unreachable as e:
            raise SetupError('keystone at %s is unreachable: %s' % (
                uri, keystone.describe(e)))
        return 'reachable (no [auth] admin credentials to check)'
    domain = cp.get('auth', 'admin_domain_name', fallback='') or 'Default'
    project = cp.get('auth', 'admin_project_name', fallback='') or 'admin'
    session = keystone.password_session(
        uri, user, password, project, user_domain_name=domain,
        project_domain_name=domain, verify=verify, timeout=timeout)
    try:
        session.get_token()
    except keystone.Unreachable as e:
        raise SetupError('keystone at %s is unreachable: %s' % (
            uri, keystone.describe(e)))
    except keystone.Unauthorized:
        raise SetupError('keystone at %s rejected the admin credentials in '
                         'tempest.conf [auth] (user %s, project %s, domain '
                         '%s): wrong credentials' % (uri, user, project,
                                                     domain))
    except keystone.HttpError as e:
        raise SetupError('keystone at %s answered %s to a token request '
                         '(expected 201)' % (uri, keystone.describe(e)))
    return 'admin %s authenticated' % user


def check_whitebox(cp, inv):
    """With whitebox access configured, every cell's database (and the
    RabbitMQ management API) must answer before the suite starts: one
    SetupError naming the cell, the address and the option to change.
    """
    from cellv2_conformance.inspect import db as inspect_db
    from cellv2_conformance.inspect import mq as inspect_mq
    out = []
    if cp.getboolean('cellv2', 'whitebox_db', fallback=False):
        for cell in inv.cells:
            try:
                inspect_db.select(cell.reader_url, 'SELECT 1 AS ok')
            except inspect_db.InspectError as e:
                raise SetupError(
                    'cell %s: %s (check its database/readonly_database in '
                    'the inventory %s, or set [cellv2] whitebox_db = false)'
                    % (cell.name, e, inv.path))
        out.append('cell databases: %d reachable (read-only)' %
                   len(inv.cells))
    if cp.getboolean('cellv2', 'whitebox_mq', fallback=False):
        for cell in inv.cells:
            try:
                inspect_mq.for_cell(inv, cell).vhosts()
            except inspect_mq.MQInspectError as e:
                raise SetupError(
                    'cell %s: %s (check mq.management_url and mq.user in '
                    'the inventory, or set [cellv2] whitebox_mq = false)'
                    % (cell.name, e))
        out.append('RabbitMQ management API: reachable for %d cell(s)' %
                   len(inv.cells))
    return out


def derived_conf(cp, workspace, inventory_path=None):
    """A private copy of tempest.conf for this run: the inventory given on
    the command line, and a timings file when the original names
    none.  Mode 0600 (it holds the admin password).
    """
    cp = _copy_conf(cp)
    for sect in ('DEFAULT', 'cellv2'):
        if not cp.has_section(sect):
            cp.add_section(sect)
    if inventory_path:
        cp.set('cellv2', 'inventory', os.path.abspath(inventory_path))
    for key, name in (('timings_file', 'timings.jsonl'),):
        if not cp.get('cellv2', key, fallback='').strip():
            cp.set('cellv2', key, os.path.join(workspace, name))
    if not cp.get('DEFAULT', 'log_file', fallback='').strip():
        cp.set('DEFAULT', 'log_file', os.path.join(workspace,
                                                   'tempest.log'))
    path = os.path.join(workspace, 'tempest.conf')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
        cp.write(f)
    return path, cp


def _copy_conf(cp):
    new = _parser()
    new.read_dict({s: dict(cp.items(s, raw=True)) for s in cp.sections()})
    return new


WORKSPACE_PREFIX = 'cellv2-validate-'
WORKSPACE_OWNER = 'owner.pid'


def new_workspace(parent=None):
    """A private (0700) scratch directory for one validate run: its
    derived tempest.conf holds the admin password.  It names its owner so
    that a later run can remove it when this one was killed (kill -9
    leaves no chance to clean up).
    """
    workspace = tempfile.mkdtemp(prefix=WORKSPACE_PREFIX, dir=parent)
    with open(os.path.join(workspace, WORKSPACE_OWNER), 'w') as f:
        f.write('%d\n' % os.getpid())
    return workspace


def sweep_stale_workspaces(parent=None):
    """Remove the scratch directories of validate runs that died; a
    directory without an owner file is not ours to judge.
    """
    parent = parent or tempfile.gettempdir()
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    for name in names:
        path = os.path.join(parent, name)
        if not name.startswith(WORKSPACE_PREFIX) or not os.path.isdir(path):
            continue
        try:
            with open(os.path.join(path, WORKSPACE_OWNER)) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if pid != os.getpid() and not psutil.pid_exists(pid):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def cmd_validate(args):
    from cellv2_conformance import inventory as inventory_mod
    started = document.utcnow()
    conf_src = os.path.abspath(args.tempest_conf)
    report_dir = os.path.abspath(args.report_dir or os.path.join(
        os.getcwd(), 'reports', _stamp('validate')))
    try:
        cp = read_conf(conf_src)
        check_conf(cp, conf_src)
        inv_path = args.inventory or cp.get('cellv2', 'inventory',
                                            fallback='').strip()
        if not inv_path:
            raise SetupError('no cells inventory: pass --inventory or set '
                             '[cellv2] inventory in %s' % conf_src)
        inv = inventory_mod.load(inv_path)
        _say('cells inventory %s: %d cell(s): %s' % (
            inv_path, len(inv.cells), ', '.join(c.name for c in inv.cells)))
        _say('keystone: %s' % check_keystone(cp))
        for line in check_whitebox(cp, inv):
            _say(line)
    except (SetupError, inventory_mod.InventoryError) as e:
        _err(str(e))
        return 2
    os.makedirs(report_dir, exist_ok=True)
    sweep_stale_workspaces()
    workspace = new_workspace()
    error = None
    tempest_rc = None
    interrupted = False
    inputs = Inputs()
    try:
        with _sigterm_as_interrupt():
            try:
                conf, dcp = derived_conf(cp, workspace,
                                         inventory_path=args.inventory)
                inputs = Inputs(
                    tempest_log=conf_path_opt(dcp, 'DEFAULT', 'log_file',
                                              os.path.dirname(conf_src)),
                    timings=conf_path_opt(dcp, 'cellv2', 'timings_file',
                                          os.path.dirname(conf_src)),
                    faults=inv.data.get('faults_journal'))
                inputs.mark()
                selected = list_tests(conf, workspace, args.regex,
                                      report_dir)
                _say('%d test(s) selected by --regex %s' % (
                    len(selected), args.regex))
                tempest_rc = run_tempest(conf, workspace, args.regex,
                                         args.concurrency, report_dir)
                if dcp.getboolean('cellv2', 'whitebox_db', fallback=False):
                    # the operator allows database reads: audit them too
                    # (placement through the API when the inventory names
                    # no placement database, as `audit --tempest-conf`)
                    audit_cmd.audit_into_report(report_dir, inv,
                                                tempest_conf=cp)
            except KeyboardInterrupt:
                interrupted = True
                error = 'interrupted'
            except SetupError as e:
                error = str(e)
            finally:
                inputs.copy_to(report_dir)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    if not error and tempest_rc is not None:
        path = os.path.join(report_dir, bundle.SUBUNIT)
        if not (os.path.exists(path) and results_mod.parse_file(path)):
            error = _no_results_error(tempest_rc, report_dir, args.regex)
    doc = write_reports(report_dir, started, 'validate', inv=inv,
                        error=error, command=sys.argv, regex=args.regex)
    return _finish(doc, report_dir, _exit_code(doc, tempest_rc,
                                               interrupted))


# ----------------------------------------------------------------------
# parsers
# ----------------------------------------------------------------------
def _suite_args(sp):
    sp.add_argument('--report-dir', help='where to write run.json, '
                    'junit.xml, report.html, ... (default: a new '
                    'timestamped directory)')
    sp.add_argument('--regex', default=DEFAULT_REGEX,
                    help='tempest selection regex (default: %(default)s)')
    sp.add_argument('--concurrency', type=int, default=2,
                    help='tempest workers (default: %(default)s)')


def add_parsers(sub, wd):
    sp = sub.add_parser(
        'run', help='deploy a scenario, run the suite, tear down, report',
        description='Deploy a scenario, run the conformance suite with '
                    'tempest, always tear the cloud down (unless --keep) '
                    'and write the report directory.')
    sp.add_argument('--scenario', default='multi-cell',
                    help='bundled scenario name or path to a YAML file')
    wd(sp)
    _suite_args(sp)
    sp.add_argument('--keep', action='store_true',
                    help='leave the cloud running after the run')
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser(
        'validate', help='run the suite against an existing cloud',
        description='Check that tempest.conf, keystone and the cells '
                    'inventory are usable, then run the suite against the '
                    'existing cloud (no deploy, no teardown) and report.')
    sp.add_argument('--tempest-conf', required=True,
                    help='tempest.conf with a [cellv2] section')
    sp.add_argument('--inventory',
                    help='cells inventory (default: [cellv2] inventory)')
    _suite_args(sp)
    sp.set_defaults(func=cmd_validate)
