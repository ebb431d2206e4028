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

"""Sphinx configuration of the cellv2-conformance documentation."""

extensions = [
    'openstackdocstheme',
]
source_suffix = '.rst'
master_doc = 'index'
exclude_patterns = []
project = 'cellv2-conformance'
copyright = '2026, cellv2-conformance developers'

# openstackdocstheme options
openstackdocs_repo_name = 'x/cellv2-conformance'
openstackdocs_use_storyboard = False
openstackdocs_bug_project = 'cellv2-conformance'
openstackdocs_bug_tag = ''
openstackdocs_pdf_link = False

pygments_style = 'native'
html_theme = 'openstackdocs'
htmlhelp_basename = '%sdoc' % project
