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

"""Common base of the reservation clients (CONF-free, tempest.lib only).

Every call checks its response against the JSON schema of the api-ref
(:mod:`.schemas`), and sends ``OpenStack-API-Version: reservation <v>`` when
``api_microversion`` is set (Blazar only has 1.0; a malformed value must give
400, an unsupported one 406).
"""

from cellv2_conformance.services import microversioned
from cellv2_conformance.services.reservation.v1 import schemas


class ReservationClient(microversioned.MicroversionedClient):

    microversion_service = 'reservation'

    def list_versions(self):
        """GET / (the version document answers 300 Multiple Choices)."""
        return self._versions(schemas.versions)
