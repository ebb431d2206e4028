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

"""Exit codes of every ``cellv2-conformance`` command (one table, shown in
``--help`` and in doc/source/cli.rst)."""

import textwrap

OK = 0
FAILED = 1          # checks failed, inconsistencies found, a regression
CANNOT_RUN = 2      # bad input, unreachable cloud/store, credentials, ...
USAGE = 64          # command-line usage error (BSD sysexits EX_USAGE)
INTERRUPTED = 130   # Ctrl-C or SIGTERM (128 + SIGINT)

EPILOG_TITLE = 'exit codes:'

TABLE = (
    (OK, 'success: every check passed (skips and known findings are not '
         'failures), nothing to heal, no regression'),
    (FAILED, 'checks failed, inconsistencies were found, faults are still '
             'open, or `report --compare` saw a regression'),
    (CANNOT_RUN, 'could not run: bad input file, unreachable cloud or '
                 'store, wrong credentials, missing binary, port in use'),
    (USAGE, 'command-line usage error (unknown option, missing or invalid '
            'argument)'),
    (INTERRUPTED, 'interrupted (Ctrl-C or SIGTERM); whatever was started '
                  'was stopped and faults healed'),
)


def epilog():
    """The exit code table as ``--help`` text (wrapped at 79 columns)."""
    return EPILOG_TITLE + '\n' + '\n'.join(textwrap.fill(
        text, 79, initial_indent='  %-4d ' % code,
        subsequent_indent=' ' * 7) for code, text in TABLE)
