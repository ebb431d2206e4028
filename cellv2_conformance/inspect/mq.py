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

"""Read-only RabbitMQ inspection through the management HTTP API."""

import urllib.parse

import requests

from cellv2_conformance import redact


class MQInspectError(RuntimeError):
    pass


class Management:
    def __init__(self, url, user, password, timeout=10):
        self.url = url.rstrip('/')
        self.auth = (user, password)
        self.timeout = timeout

    def get(self, path, **params):
        try:
            r = requests.get(self.url + '/api' + path, auth=self.auth,
                             params=params, timeout=self.timeout)
        except requests.RequestException as e:
            raise MQInspectError('RabbitMQ management API %s unreachable: '
                                 '%s' % (self.url, type(e).__name__))
        if r.status_code != 200:
            raise MQInspectError('GET %s%s -> HTTP %d' % (
                self.url, path, r.status_code))
        return r.json()

    @staticmethod
    def _vh(vhost):
        return urllib.parse.quote(vhost, safe='')

    def vhosts(self):
        return [v['name'] for v in self.get('/vhosts')]

    def queues(self, vhost):
        return self.get('/queues/%s' % self._vh(vhost))

    def exchanges(self, vhost):
        return self.get('/exchanges/%s' % self._vh(vhost))

    def connections(self):
        return self.get('/connections')

    def consumers(self, vhost):
        return self.get('/consumers/%s' % self._vh(vhost))

    def queue_counters(self, vhost):
        """{queue name: published message count} for a vhost."""
        out = {}
        for q in self.queues(vhost):
            stats = q.get('message_stats') or {}
            out[q['name']] = {
                'publish': stats.get('publish', 0),
                'deliver_get': stats.get('deliver_get', 0),
                'messages': q.get('messages', 0),
                'consumers': q.get('consumers', 0),
            }
        return out

    def vhost_counters(self, vhost):
        v = self.get('/vhosts/%s' % self._vh(vhost))
        stats = v.get('message_stats') or {}
        return {'publish': stats.get('publish', 0),
                'deliver_get': stats.get('deliver_get', 0),
                'messages': v.get('messages', 0)}


def for_cell(inventory, cell):
    url = (cell.mq or {}).get('management_url') or inventory.mq.get(
        'management_url')
    if not url:
        raise MQInspectError('no management_url for cell %s in inventory %s'
                             % (cell.name, inventory.path))
    user = inventory.mq.get('user')
    password = inventory.mq.get('password')
    if not user:
        u = urllib.parse.urlsplit(cell.transport)
        user, password = u.username, u.password
    redact.register(password)
    return Management(url, user, password)
