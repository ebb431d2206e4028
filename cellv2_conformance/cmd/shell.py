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

"""What every command shares, the way cliff-based OpenStack CLIs (stestr,
openstackclient) behave: ``--version``, ``-v``/``-q``, ``--debug`` (show
tracebacks), ``--log-file``, usage errors with their own exit code.

Console log levels: default WARNING, ``-v`` INFO, ``-vv`` DEBUG, ``-q``
ERROR; ``--debug`` is DEBUG and the only way a traceback reaches the
console.  ``--log-file`` always receives everything at DEBUG, tracebacks
included.  Every log line passes through :mod:`cellv2_conformance.redact`
(keystoneauth1 hashes tokens itself; passwords registered with redact are
masked here)."""

import argparse
import logging
import sys

from cellv2_conformance.cmd import exitcodes
from cellv2_conformance import redact

LOG = logging.getLogger('cellv2_conformance')
_STATE = {'debug': False}


class UsageParser(argparse.ArgumentParser):
    """argparse exits 2 on a usage error; 2 is our "could not run", so a
    usage error exits 64 (EX_USAGE) instead.
    """

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(exitcodes.USAGE, '%s: error: %s\n' % (self.prog, message))


class HelpFormatter(argparse.HelpFormatter):
    """Descriptions re-wrapped as usual; the exit code table (the epilog)
    kept as laid out.
    """

    def _fill_text(self, text, width, indent):
        if text.startswith(exitcodes.EPILOG_TITLE):
            return ''.join(indent + line for line in
                           text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def version():
    """The pbr version of the installed package (git describe in a
    checkout without metadata).
    """
    try:
        import pbr.version
        return pbr.version.VersionInfo('cellv2-conformance').version_string()
    except Exception:   # pbr cannot tell (no metadata, no git): say so
        return 'unknown'


def add_global_args(parser, top=True):
    """The global flags.  On sub-commands (``top=False``) they default to
    SUPPRESS so that ``cellv2-conformance run --debug`` and
    ``cellv2-conformance --debug run`` both work without the sub-parser's
    defaults overwriting what the top-level parser saw.
    """
    def default(value):
        return {'default': value if top else argparse.SUPPRESS}

    g = parser.add_argument_group('global options')
    if top:
        g.add_argument('--version', action='version',
                       version='%(prog)s ' + version())
    g.add_argument('-v', '--verbose', action='count',
                   **default(0),
                   help='more log output (-v: info, -vv: debug)')
    g.add_argument('-q', '--quiet', action='store_true',
                   **default(False),
                   help='only errors in the log output')
    g.add_argument('--debug', action='store_true',
                   **default(False),
                   help='debug log output and tracebacks on errors')
    g.add_argument('--log-file', metavar='PATH',
                   **default(None),
                   help='also write the log (debug level, redacted, '
                        'tracebacks included) to PATH')


def add_global_args_everywhere(parser):
    """Add the global flags to every sub-command, recursively."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sp in set(action.choices.values()):
                add_global_args(sp, top=False)
                add_global_args_everywhere(sp)


class _RedactingFormatter(logging.Formatter):
    def __init__(self, fmt, with_tracebacks):
        super().__init__(fmt)
        self.with_tracebacks = with_tracebacks

    def format(self, record):
        if not self.with_tracebacks and record.exc_info:
            record = logging.makeLogRecord(record.__dict__)
            record.exc_info = record.exc_text = None
        return redact.text(super().format(record))


def console_level(args):
    if getattr(args, 'debug', False):
        return logging.DEBUG
    if getattr(args, 'quiet', False):
        return logging.ERROR
    return {0: logging.WARNING, 1: logging.INFO}.get(
        getattr(args, 'verbose', 0) or 0, logging.DEBUG)


def setup_logging(args):
    """Console handler on stderr, optional file handler; returns the file
    handler's path (or None).  Raises OSError when the log file cannot be
    opened.
    """
    _STATE['debug'] = bool(getattr(args, 'debug', False))
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, '_cellv2', False):
            root.removeHandler(h)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(console_level(args))
    console.setFormatter(_RedactingFormatter(
        '%(levelname)s %(name)s: %(message)s', _STATE['debug']))
    console._cellv2 = True
    root.addHandler(console)
    level = console.level
    path = getattr(args, 'log_file', None)
    if path:
        fh = logging.FileHandler(path, encoding='utf-8')
        fh.setLevel(logging.DEBUG)
        fh.setFormatter(_RedactingFormatter(
            '%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s',
            True))
        fh._cellv2 = True
        root.addHandler(fh)
        level = logging.DEBUG
    root.setLevel(level)
    return path


def debug():
    """Whether --debug was given (tracebacks may reach the console)."""
    return _STATE['debug']


def log_traceback(what):
    """Record the current exception's traceback: on the console only with
    --debug, always in --log-file.
    """
    LOG.debug('%s', what, exc_info=True)
