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

"""Keystone authentication through keystoneauth1, the ecosystem's library
(what openstacksdk, the clients and the services use): a Session with a
v3 Password plugin from explicit credentials.

Secrets stay out of logs: the password is registered with
:mod:`cellv2_conformance.redact`, keystoneauth1 never logs its own token
requests and hashes tokens in the headers it logs, and callers send
password-carrying bodies with ``log=False``."""

from keystoneauth1 import exceptions
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session

from cellv2_conformance import redact

# What callers catch: keystone reached but refused, or not reached.
Unauthorized = exceptions.Unauthorized
HttpError = exceptions.HttpError
Unreachable = (exceptions.ConnectionError, exceptions.DiscoveryFailure)


def password_session(auth_url, username, password, project_name,
                     user_domain_name='Default',
                     project_domain_name='Default', verify=True,
                     timeout=30):
    """A keystoneauth1 Session authenticating as ``username`` scoped to
    ``project_name`` (tokens fetched lazily, renewed when they expire).
    """
    redact.register(password)
    auth = v3.Password(auth_url=auth_url, username=username,
                       password=password, user_domain_name=user_domain_name,
                       project_name=project_name,
                       project_domain_name=project_domain_name)
    return ks_session.Session(auth=auth, verify=verify, timeout=timeout)


def tempest_verify(cp):
    """TLS verification as a parsed tempest.conf asks for it: False with
    [identity] disable_ssl_certificate_validation, else its
    ca_certificates_file, else True.
    """
    if cp.getboolean('identity', 'disable_ssl_certificate_validation',
                     fallback=False):
        return False
    return cp.get('identity', 'ca_certificates_file', fallback='') or True


def unauthenticated_session(verify=True, timeout=30):
    return ks_session.Session(verify=verify, timeout=timeout)


def describe(exc):
    """A short, secret-free name for a keystoneauth1 failure."""
    if isinstance(exc, exceptions.HttpError):
        return 'HTTP %s' % exc.http_status
    return type(exc).__name__
