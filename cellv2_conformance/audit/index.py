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

"""Indexes over a snapshot shared by the rules (built once, O(rows))."""

from cellv2_conformance.audit.snapshot import CELL0

MARKER = 'INSTANCE_MIGRATION_MARKER'


class Index:
    def __init__(self, snap):
        self.snap = snap
        api = snap.api
        self.sources = {s.name: s for s in snap.sources}
        self.cell_name_by_id = {s.mapping.id: s.name for s in snap.sources}
        self.cell_uuid = {s.name: s.uuid for s in snap.sources}
        self.read_cells = [s.name for s in snap.sources
                           if s.name in snap.cells]
        self.mappings = {m.instance_uuid: m for m in api['instance_mappings']
                         if m.project_id != MARKER}
        self.builds = {b.instance_uuid for b in api['build_requests']}
        self.host_mappings = {h.host: self.cell_name_by_id.get(h.cell_id)
                              for h in api['host_mappings']}
        # uuid -> [(cell, instance row)] for live rows (hidden or not)
        self.live = {}
        self.deleted = {}
        self.compute_hosts = {}      # cell -> set of compute host names
        self.nodes = {}              # cell -> {(host, node): node row}
        self.node_by_uuid = {}       # uuid -> (cell, node row)
        self.migrations = {}         # cell -> [in-progress migration]
        self.moving = set()          # instance uuids with one in progress
        self.cross_cell = set()      # ... a cross-cell one
        self.migration_uuids = set()
        for cell in self.read_cells:
            data = snap.cells[cell]
            for row in data['instances']:
                self.live.setdefault(row.uuid, []).append((cell, row))
            for row in data['deleted_instances']:
                self.deleted.setdefault(row.uuid, set()).add(cell)
            hosts = {s.host for s in data['services']
                     if s.binary == 'nova-compute'}
            hosts |= {n.host for n in data['compute_nodes']}
            self.compute_hosts[cell] = hosts
            self.nodes[cell] = {(n.host, n.hypervisor_hostname): n
                                for n in data['compute_nodes']}
            for n in data['compute_nodes']:
                self.node_by_uuid[n.uuid] = (cell, n)
            self.migrations[cell] = data['migrations']
            for m in data['migrations']:
                self.moving.add(m.instance_uuid)
                if m.cross_cell_move:
                    self.cross_cell.add(m.instance_uuid)
                if m.uuid:
                    self.migration_uuids.add(m.uuid)
        self.cells_of_host = {}
        for cell, hosts in self.compute_hosts.items():
            for h in hosts:
                self.cells_of_host.setdefault(h, []).append(cell)

    def visible(self, uuid):
        """[(cell, row)] of the hidden=0 live copies of ``uuid``."""
        return [(c, r) for c, r in self.live.get(uuid, ()) if not r.hidden]

    def is_cell0(self, cell):
        return cell == CELL0
