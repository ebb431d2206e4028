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
