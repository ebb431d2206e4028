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

"""Nova's database set-up in one process (run as ``python -m``).

``nova-manage`` costs 5-7 s of imports per call and a multi-cell set-up needs
one call per step (api_db sync, db sync per cell, map_cell0, create_cell per
cell).  This helper imports nova once and calls the very same code paths:
``nova.db.migration.db_sync`` and ``nova.cmd.manage.CellV2Commands``.  It is
not a re-implementation: nova's own functions do the work and their return
codes are checked exactly as ``nova-manage`` would report them.

Input: ``--config-file`` options for nova plus ``--plan FILE`` (JSON)::

    {"cell0": "<db url>", "cells": [{"name", "database", "sync_database",
      "transport", "disabled"}]}

Output (stdout, last line): JSON ``{"cell0": uuid, "cells": {name: uuid}}``.
"""

import argparse
import json
import sys


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser()
    parser.add_argument('--plan', required=True)
    args, conf_args = parser.parse_known_args(argv)
    with open(args.plan) as f:
        plan = json.load(f)

    from oslo_utils import uuidutils

    from nova.cmd import manage
    from nova import config
    from nova import context
    from nova.db import migration
    from nova import objects

    config.parse_args(['nova-manage'] + conf_args)
    objects.register_all()
    ctxt = context.get_admin_context()

    migration.db_sync(database='api')
    print('api_db sync: done', flush=True)

    for name, url in [('cell0', plan['cell0'])] + [
            (c['name'], c.get('sync_database') or c['database'])
            for c in plan['cells']]:
        mapping = objects.CellMapping(
            uuid=uuidutils.generate_uuid(), name='sync-' + name,
            database_connection=url, transport_url='none:///')
        with context.target_cell(ctxt, mapping) as cctxt:
            migration.db_sync(context=cctxt)
        print('db sync %s: done' % name, flush=True)

    cmds = manage.CellV2Commands()
    rc = cmds.map_cell0(database_connection=plan['cell0'])
    if rc not in (0, None):
        print('map_cell0 failed: rc=%s' % rc, flush=True)
        return 10 + rc
    existing = {c.name: c for c in objects.CellMappingList.get_all(ctxt)}
    for cell in plan['cells']:
        if cell['name'] in existing:
            continue
        rc = cmds.create_cell(name=cell['name'],
                              database_connection=cell['database'],
                              transport_url=cell['transport'],
                              disabled=bool(cell.get('disabled')))
        if rc not in (0, None):
            print('create_cell %s failed: rc=%s' % (cell['name'], rc),
                  flush=True)
            return 20 + rc
    result = {'cells': {}}
    for c in objects.CellMappingList.get_all(ctxt):
        if c.is_cell0():
            result['cell0'] = c.uuid
        else:
            result['cells'][c.name] = c.uuid
    from nova import rpc
    rpc.cleanup()
    print(json.dumps(result), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
