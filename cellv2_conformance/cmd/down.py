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

"""`down`: heal, then stop.

The order matters and is this command's job (the deployer knows nothing of
faults): open faults are healed first -- frozen processes thawed, vhost
permissions and cell mappings restored, stopped processes started again --
so that teardown stops a consistent cloud; teardown then marks the
deployment ``stopping`` under the state lock and re-reads ``state.json``,
so a process a heal restarted (with a new pid) is stopped as well, and no
late heal starts anything again.  A fault that could not be healed is
reported (exit 1) after everything is stopped.
"""

import os

from cellv2_conformance import redact


def down(workdir, keep=False, out=print):
    from cellv2_conformance.cmd import fault as fault_cmd
    from cellv2_conformance.deploy import deployer
    from cellv2_conformance import faults
    workdir = os.path.abspath(workdir)
    unhealed = []
    if os.path.exists(os.path.join(workdir, 'faults.jsonl')):
        # No recovery checks: everything is stopped right after.
        recs = faults.heal_all(workdir, by='down', out=out, verify=False)
        healed = [r for r in recs if r.get('status') == 'healed']
        if healed:
            out('healed %d open fault(s) before stopping' % len(healed))
        unhealed = [r for r in recs
                    if r.get('status') not in ('healed', 'abandoned')]
    deployer.teardown(workdir, keep=keep, out=out)
    if unhealed and os.path.isdir(workdir):
        # The deployment is down now: a last pass records them abandoned.
        try:
            faults.heal_all(workdir, by='down', out=out, verify=False)
        except faults.FaultError:
            pass
    for rec in unhealed:
        out('warning: fault %s (%s %s) could not be healed before the '
            'deployment was stopped: %s' % (
                rec['id'], rec.get('target'), rec.get('action'),
                redact.text(rec.get('error'))))
    if os.path.isdir(workdir) and keep:
        fault_cmd.print_open(workdir, out=out)
    return 1 if unhealed else 0
