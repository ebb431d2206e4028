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

"""One inconsistency = one record; the audit's result = many records."""

import dataclasses

# Families, in report order, with the two kinds of store they compare.
FAMILIES = {
    'instance-mappings': 'API DB instance_mappings/build_requests vs cell '
                         'DB instances',
    'request-specs': 'API DB request_specs vs cell DB instances',
    'host-mappings': 'API DB host_mappings vs cell DB services/'
                     'compute_nodes',
    'instance-hosts': 'cell DB instances vs cell DB compute_nodes',
    'migrations': 'cell DB migrations vs services/compute_nodes/instances '
                  'of the cells',
    'placement-allocations': 'placement allocations/consumers vs cell DB '
                             'instances/migrations',
    'placement-providers': 'placement resource_providers vs cell DB '
                           'compute_nodes',
    'placement-aggregates': 'API DB aggregates vs placement '
                            'resource_provider_aggregates',
    'cell-mappings': 'API DB cell_mappings vs cell DBs, inventory and '
                     'service configuration',
    'schema-versions': 'alembic_version of every cell DB',
    'message-queue': 'API DB host_mappings/cell_mappings vs RabbitMQ '
                     'vhosts and queues',
    'blazar-hosts': 'Blazar computehosts vs cell DB compute nodes and '
                    'host_mappings',
    'blazar-freepool': 'Blazar leases/allocations vs API DB freepool '
                       'aggregate',
    'blazar-aggregates': 'Blazar reservations vs API DB lease aggregates',
    'nova-status': '`nova-status upgrade check`',
}


@dataclasses.dataclass(frozen=True)
class Record:
    """One inconsistency: ``obj`` (a uuid or a host) in ``cell`` where
    ``stores`` (two names) disagree as ``problem`` says; ``repair`` is the
    command an operator would run (printed, never run).
    """
    family: str
    obj: str
    cell: str
    stores: tuple
    problem: str
    repair: str

    @property
    def key(self):
        return (self.family, self.obj, self.cell, self.problem)

    def to_dict(self):
        return {'family': self.family, 'object': self.obj,
                'cell': self.cell, 'stores': list(self.stores),
                'problem': self.problem, 'repair': self.repair}

    def line(self):
        return '%s (cell %s): %s [%s vs %s]; repair: %s' % (
            self.obj, self.cell or '-', self.problem, self.stores[0],
            self.stores[1], self.repair)


class Findings:
    """Records collected by the rules; ``add`` keeps them in order."""

    def __init__(self):
        self.records = []
        self.skipped = {}       # family -> why it could not be checked

    def add(self, family, obj, cell, stores, problem, repair):
        assert family in FAMILIES, family
        self.records.append(Record(family, str(obj), cell or '',
                                   tuple(stores), problem, repair))

    def skip(self, family, why):
        self.skipped[family] = why

    def by_family(self):
        out = {}
        for r in self.records:
            out.setdefault(r.family, []).append(r)
        return out
