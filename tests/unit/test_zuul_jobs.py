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

"""zuul.d/ names only what exists: parents, nodesets, templates, projects,
playbooks, roles, variables.

What Zuul defines upstream cannot be loaded here, so the names we use are
recorded below from the upstream files that define them (repository, path
and the commit read).  Everything of our own is checked against this
checkout: playbooks and roles on disk, DevStack settings, tempest options,
bundled scenarios.
"""

import copy
import glob
import os
import re

import testtools
import yaml

from cellv2_conformance import config as plugin_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
OURS = 'opendev.org/x/cellv2-conformance'

# Jobs we may inherit from, by defining file:
UPSTREAM_JOBS = {
    # openstack/tempest zuul.d/base.yaml (fa340b1f5, 2026-07-26): "To run a
    # multi-node test inherit from devstack-tempest and set the nodeset to
    # a multi-node one."
    'devstack-tempest',
}
# openstack/devstack .zuul.yaml (493835a6, 2026-07-17).
UPSTREAM_NODESETS = {'openstack-single-node-noble', 'openstack-two-node-noble'}
# Roles our playbooks use from the projects devstack-tempest lists in its
# `roles` (openstack/tempest zuul.d/base.yaml: zuul: openstack/devstack):
# openstack/devstack roles/setup-stack-user (493835a6).  nova's
# playbooks/nova-multi-cell/pre.yaml (00a03040) uses it the same way.
UPSTREAM_ROLES = {'setup-stack-user'}
UPSTREAM_TEMPLATES = {
    # openstack/requirements .zuul.d/project-template.yaml (33536777).
    'check-requirements',
    # openstack/openstack-zuul-jobs zuul.d/project-templates.yaml
    # (b8ff5c89, 2026-06-23).
    'openstack-python3-jobs',
    'build-openstack-docs-pti',
    'build-release-notes-jobs-python3',
}
# Same file: "Only repos listed in openstack/governance repository are
# allowed to publish to the OpenStack docs website"; x/ repos are not.
GOVERNANCE_ONLY_TEMPLATES = {'publish-openstack-docs-pti',
                             'release-notes-jobs-python3'}
# zuul-jobs' tox job and openstack-zuul-jobs' openstack-tox* (parent
# tox-fips) bring tox's run and post-run (fetch-tox-output): a job with its
# own run playbook must not inherit them.
TOX_FAMILY = re.compile(r'^(tox|tox-.*|openstack-tox.*)$')
# What each DevStack plugin clones (so must be in required-projects):
# openstack/blazar devstack/settings (acc44dc9, 2026-06-29): BLAZAR_REPO,
# BLAZARCLIENT_REPO, BLAZARNOVA_REPO (the dashboard only with horizon).
PLUGIN_CLONES = {
    'blazar': {'opendev.org/openstack/blazar',
               'opendev.org/openstack/blazar-nova',
               'opendev.org/openstack/python-blazarclient'},
    'cellv2-conformance': {OURS},
}
# Plugins that start services: only on the controller of a multi-node job
# (blazar-tempest-plugin .zuul.yaml (2203b22b) sets blazar under
# host-vars.controller.devstack_plugins).
CONTROLLER_ONLY_PLUGINS = {'blazar'}
# Zuul merges dict variables down the inheritance chain.
DICT_ATTRS = ('vars', 'host-vars', 'group-vars')


def load_config(root=ROOT):
    """All job, project and project-template entries under zuul.d/."""
    entries = []
    for path in sorted(glob.glob(os.path.join(root, 'zuul.d', '*.yaml'))):
        with open(path) as f:
            entries.extend(yaml.safe_load(f) or [])
    jobs = {e['job']['name']: e['job'] for e in entries if 'job' in e}
    projects = [e['project'] for e in entries if 'project' in e]
    return jobs, projects


def _merge(base, over):
    out = copy.deepcopy(base)
    for key, value in (over or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolved(jobs, name):
    """The job as Zuul would see it (our part of the chain only)."""
    job = jobs[name]
    parent = job.get('parent')
    if parent in jobs:
        out = resolved(jobs, parent)
        out.pop('abstract', None)
    else:
        out = {'required-projects': []}
    for key, value in job.items():
        if key in DICT_ATTRS:
            out[key] = _merge(out.get(key, {}), value)
        elif key == 'required-projects':
            out[key] = out.get(key, []) + value
        else:
            out[key] = value
    out['chain'] = out.get('chain', []) + [name]
    return out


def _tempest_option_exists(group, name):
    from tempest import config as tempest_config
    ours = {g.name: [o.name for o in opts]
            for g, opts in plugin_config.list_opts()}
    if name in ours.get(group, []):
        return True
    for tgroup, opts in tempest_config.list_opts():
        gname = getattr(tgroup, 'name', tgroup) or 'DEFAULT'
        if gname == group and any(o.name == name for o in opts):
            return True
    return False


def _devstack_settings(root):
    with open(os.path.join(root, 'devstack', 'settings')) as f:
        return set(re.findall(r'^([A-Z_0-9]+)=', f.read(), re.M))


def _role_exists(root, role):
    return role in UPSTREAM_ROLES or os.path.isfile(
        os.path.join(root, 'roles', role, 'tasks', 'main.yaml'))


def _playbook_problems(root, job_name, job, path):
    full = os.path.join(root, path)
    if not os.path.isfile(full):
        return ['%s: playbook %s does not exist' % (job_name, path)]
    problems = []
    with open(full) as f:
        text = f.read()
    for play in yaml.safe_load(text):
        for role in play.get('roles', []):
            name = role['role'] if isinstance(role, dict) else role
            if not _role_exists(root, name):
                problems.append('%s: %s uses role %s, found neither in '
                                'roles/ nor upstream' % (job_name, path,
                                                         name))
    defined = set(job.get('vars', {})) | {'zuul', 'ansible_user_dir'}
    for play in yaml.safe_load(text):
        defined |= set(play.get('vars', {}))
    for used in set(re.findall(r'{{\s*([a-z_][a-z_0-9]*)', text)):
        if used.startswith(('ansible_', 'cellv2_report')):
            continue
        if used not in defined:
            problems.append('%s: %s uses variable %s the job does not '
                            'define' % (job_name, path, used))
    for key in re.findall(r"devstack_localrc\['([A-Z_0-9]+)'\]", text):
        if key not in job.get('vars', {}).get('devstack_localrc', {}):
            problems.append('%s: %s reads devstack_localrc %s, not set in '
                            'the job' % (job_name, path, key))
    return problems


def job_problems(jobs, root=ROOT):
    problems = []
    settings = _devstack_settings(root)
    scenarios = {os.path.basename(p)[:-5] for p in glob.glob(os.path.join(
        root, 'cellv2_conformance', 'scenario', 'scenarios', '*.yaml'))}
    for name in sorted(jobs):
        own = jobs[name]
        job = resolved(jobs, name)
        parent = own.get('parent')
        if parent is not None and parent not in jobs and \
                parent not in UPSTREAM_JOBS:
            problems.append('%s: parent %s is neither ours nor a recorded '
                            'upstream job' % (name, parent))
        if parent and TOX_FAMILY.match(parent) and 'run' in own:
            problems.append('%s: replaces the run of tox-family parent %s '
                            'whose post-run fetches tox output' % (
                                name, parent))
        if job.get('abstract'):
            continue
        if parent is None and 'run' not in own:
            problems.append('%s: no parent and no run playbook' % name)
        nodeset = job.get('nodeset')
        if nodeset is not None and nodeset not in UPSTREAM_NODESETS:
            problems.append('%s: nodeset %s is not a recorded upstream '
                            'nodeset' % (name, nodeset))
        required = set(job['required-projects'])
        for field in ('pre-run', 'run', 'post-run'):
            paths = job.get(field) or []
            for path in [paths] if isinstance(paths, str) else paths:
                problems += _playbook_problems(root, name, job, path)
        variables = job.get('vars', {})
        plugins = dict(variables.get('devstack_plugins', {}))
        for host, hvars in job.get('host-vars', {}).items():
            plugins.update(hvars.get('devstack_plugins', {}))
        for plugin, url in plugins.items():
            project = re.sub(r'^https://', '', url)
            clones = PLUGIN_CLONES.get(plugin, {project})
            for missing in sorted(clones - required):
                problems.append('%s: DevStack plugin %s clones %s, not in '
                                'required-projects' % (name, plugin,
                                                       missing))
        for host, hvars in job.get('host-vars', {}).items():
            lost = set(variables.get('devstack_plugins', {})) - set(
                hvars.get('devstack_plugins', variables.get(
                    'devstack_plugins', {})))
            for plugin in sorted(lost):
                problems.append(
                    '%s: host-vars.%s.devstack_plugins replaces the job\'s '
                    'and drops %s' % (name, host, plugin))
        multinode = 'two-node' in (nodeset or '')
        for plugin in variables.get('devstack_plugins', {}):
            if multinode and plugin in CONTROLLER_ONLY_PLUGINS:
                problems.append('%s: DevStack plugin %s enabled on every '
                                'node (use host-vars.controller)' % (
                                    name, plugin))
        for plugin in variables.get('tempest_plugins', []):
            if not any(p.endswith('/' + plugin) for p in required):
                problems.append('%s: tempest plugin %s not in '
                                'required-projects' % (name, plugin))
        for key in variables.get('devstack_localrc', {}):
            if key.startswith('CELLV2_') and key not in settings:
                problems.append('%s: devstack_localrc %s is not in '
                                'devstack/settings' % (name, key))
        conf = variables.get('devstack_local_conf', {}).get(
            'test-config', {}).get('$TEMPEST_CONFIG', {})
        for group, options in conf.items():
            for option in options:
                if not _tempest_option_exists(group, option):
                    problems.append('%s: tempest.conf [%s] %s is no '
                                    'option of tempest or the plugin' % (
                                        name, group, option))
        scenario = variables.get('cellv2_scenario')
        if scenario is not None and scenario not in scenarios:
            problems.append('%s: cellv2_scenario %s is not a bundled '
                            'scenario' % (name, scenario))
        for pattern in job.get('irrelevant-files', []):
            try:
                re.compile(pattern)
            except re.error as exc:
                problems.append('%s: irrelevant-files %r: %s' % (
                    name, pattern, exc))
    return problems


def project_problems(jobs, projects):
    problems = []
    for project in projects:
        for template in project.get('templates', []):
            if template in GOVERNANCE_ONLY_TEMPLATES:
                problems.append('template %s publishes to docs.openstack.org'
                                ' (governance repositories only)' % template)
            elif template not in UPSTREAM_TEMPLATES:
                problems.append('template %s is not a recorded upstream '
                                'template' % template)
        for pipeline in ('check', 'gate'):
            for entry in project.get(pipeline, {}).get('jobs', []):
                name = entry if isinstance(entry, str) else next(iter(entry))
                if name not in jobs:
                    problems.append('%s job %s is not defined in zuul.d/'
                                    % (pipeline, name))
                elif jobs[name].get('abstract'):
                    problems.append('%s job %s is abstract' % (pipeline,
                                                               name))
    return problems


class TestZuulJobs(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.jobs, self.projects = load_config()

    def test_every_job_names_what_exists(self):
        self.assertEqual([], job_problems(self.jobs))

    def test_project_templates_and_jobs_exist(self):
        self.assertEqual([], project_problems(self.jobs, self.projects))

    def test_blazar_job_scopes_blazar_to_the_controller(self):
        job = resolved(self.jobs, 'cellv2-conformance-blazar')
        self.assertIn('blazar', job['host-vars']['controller'][
            'devstack_plugins'])
        self.assertNotIn('blazar', job['vars']['devstack_plugins'])
        self.assertNotIn('blazar', str(job.get('group-vars', {})))

    def test_multi_cell_job_grants_cross_cell_resize(self):
        job = resolved(self.jobs, 'cellv2-conformance-multi-cell')
        self.assertEqual('playbooks/multi-cell/pre.yaml', job['pre-run'])
        localrc = job['vars']['devstack_localrc']
        self.assertEqual(2, localrc['NOVA_NUM_CELLS'])
        self.assertFalse(localrc['NOVA_ALLOW_MOVE_TO_SAME_HOST'])
        self.assertTrue(localrc['CELLV2_CROSS_CELL_ROLE'])
        self.assertEqual(2, job['group-vars']['subnode']['devstack_localrc'][
            'NOVA_CPU_CELL'])

    def test_local_job_is_not_a_tox_job(self):
        job = self.jobs['cellv2-conformance-local-multi-cell']
        self.assertIsNone(job.get('parent'))
        self.assertEqual('playbooks/local/post.yaml', job['post-run'])

    # The checks can fail: each broken copy yields the problem it should.

    def _broken(self, name, edit):
        jobs = copy.deepcopy(self.jobs)
        edit(jobs[name])
        return job_problems(jobs)

    def test_missing_blazarclient_is_reported(self):
        def edit(job):
            job['required-projects'].remove(
                'opendev.org/openstack/python-blazarclient')
        self.assertEqual(
            ['cellv2-conformance-blazar: DevStack plugin blazar clones '
             'opendev.org/openstack/python-blazarclient, not in '
             'required-projects'],
            self._broken('cellv2-conformance-blazar', edit))

    def test_blazar_on_every_node_is_reported(self):
        def edit(job):
            job['vars']['devstack_plugins'] = job.pop('host-vars')[
                'controller']['devstack_plugins']
        self.assertIn('cellv2-conformance-blazar: DevStack plugin blazar '
                      'enabled on every node (use host-vars.controller)',
                      self._broken('cellv2-conformance-blazar', edit))

    def test_host_vars_dropping_our_plugin_are_reported(self):
        def edit(job):
            del job['host-vars']['controller']['devstack_plugins'][
                'cellv2-conformance']
        self.assertEqual(
            ['cellv2-conformance-blazar: host-vars.controller.'
             'devstack_plugins replaces the job\'s and drops '
             'cellv2-conformance'],
            self._broken('cellv2-conformance-blazar', edit))

    def test_tox_parent_with_own_run_is_reported(self):
        def edit(job):
            job['parent'] = 'tox'
        problems = self._broken('cellv2-conformance-local-multi-cell', edit)
        self.assertIn('cellv2-conformance-local-multi-cell: replaces the '
                      'run of tox-family parent tox whose post-run fetches '
                      'tox output', problems)

    def test_unknown_parent_playbook_and_option_are_reported(self):
        def edit(job):
            job['parent'] = 'devstack-tempest-nonexistent'
            job['pre-run'] = 'playbooks/multi-cell/missing.yaml'
            job['vars']['devstack_local_conf']['test-config'][
                '$TEMPEST_CONFIG']['cellv2']['no_such_option'] = True
        problems = self._broken('cellv2-conformance-multi-cell', edit)
        name = 'cellv2-conformance-multi-cell'
        self.assertIn('%s: parent devstack-tempest-nonexistent is neither '
                      'ours nor a recorded upstream job' % name, problems)
        self.assertIn('%s: playbook playbooks/multi-cell/missing.yaml does '
                      'not exist' % name, problems)
        self.assertIn('%s: tempest.conf [cellv2] no_such_option is no '
                      'option of tempest or the plugin' % name, problems)

    def test_publishing_template_is_reported(self):
        projects = copy.deepcopy(self.projects)
        projects[0]['templates'].append('publish-openstack-docs-pti')
        self.assertEqual(
            ['template publish-openstack-docs-pti publishes to '
             'docs.openstack.org (governance repositories only)'],
            project_problems(self.jobs, projects))

    def test_unset_cross_cell_role_is_reported(self):
        def edit(job):
            del job['vars']['devstack_localrc']['CELLV2_CROSS_CELL_ROLE']
        self.assertIn(
            'cellv2-conformance-multi-cell: playbooks/multi-cell/pre.yaml '
            'reads devstack_localrc CELLV2_CROSS_CELL_ROLE, not set in the '
            'job', self._broken('cellv2-conformance-multi-cell', edit))
