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

"""Tempest plugin entry point (kept trivial on purpose)."""

import os

from tempest.test_discover import plugins

from cellv2_conformance import config as project_config


class CellV2ConformancePlugin(plugins.TempestPlugin):

    def load_tests(self):
        base_path = os.path.split(os.path.dirname(
            os.path.abspath(__file__)))[0]
        test_dir = 'cellv2_conformance/tests'
        full_test_dir = os.path.join(base_path, test_dir)
        return full_test_dir, base_path

    def register_opts(self, conf):
        project_config.register_opts(conf)

    def get_opt_lists(self):
        return project_config.get_opt_lists()

    def get_service_clients(self):
        from cellv2_conformance.services import clients
        return clients.service_clients_config()
