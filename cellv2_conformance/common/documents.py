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

"""YAML documents validated by a JSON schema, with errors that name the
file, the line and the field.

* Duplicate mapping keys are an error (plain PyYAML keeps the last one
  silently, so a typo'd second ``cells:`` would win unnoticed).
* ``integer`` means an integer: ``20000.0`` is not a port number (JSON
  Schema draft 6+ would accept it).
"""

import copy

import jsonschema
import yaml

from cellv2_conformance import redact

HIDDEN = '<not shown: the field holds a secret>'


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys in a mapping."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            try:
                key = self.construct_object(key_node, deep=True)
                hash(key)
            except (TypeError, yaml.YAMLError):
                continue      # the base class says what is wrong with it
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    'while constructing a mapping', node.start_mark,
                    'duplicate key %r (first at line %d)' % (
                        key, seen[key] + 1), key_node.start_mark)
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def _no_float_int(checker, instance):
    return isinstance(instance, int) and not isinstance(instance, bool)


Validator = jsonschema.validators.extend(
    jsonschema.Draft7Validator,
    type_checker=jsonschema.Draft7Validator.TYPE_CHECKER.redefine(
        'integer', _no_float_int))


def load_yaml(text, what, error_cls):
    """Parse ``text``; ``error_cls('<what>:<line>: not valid YAML: ...')``
    on any problem (including a duplicate key).
    """
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, 'problem_mark', None)
        where = ':%d' % (mark.line + 1) if mark else ''
        raise error_cls('%s%s: not valid YAML: %s' % (
            what, where, getattr(e, 'problem', None) or e))
    except (ValueError, TypeError, RecursionError) as e:
        raise error_cls('%s: not valid YAML: %s' % (what, e))


def line_map(text):
    """Map a path tuple ('cells', 1, 'computes') to its 1-based line."""
    lines = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return lines

    def walk(node, path, depth=0):
        if depth > 50:
            return
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = getattr(k, 'value', None)
                if not isinstance(key, str):
                    continue
                lines[path + (key,)] = k.start_mark.line + 1
                walk(v, path + (key,), depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, path + (i,), depth + 1)

    if root is not None:
        walk(root, ())
    return lines


def fmt_path(path):
    out = ''
    for p in path:
        out += '[%d]' % p if isinstance(p, int) else (
            '.' if out else '') + str(p)
    return out or '<top level>'


def explain(err):
    """A jsonschema error in words a user can act on."""
    v = err.validator
    if v == 'required' and isinstance(err.instance, dict):
        missing = [k for k in err.validator_value if k not in err.instance]
        return 'missing required field(s) %s' % ', '.join(
            '"%s"' % k for k in missing)
    if v == 'additionalProperties' and isinstance(err.instance, dict):
        allowed = sorted(err.schema.get('properties', {}))
        extra = sorted(map(str, set(err.instance) - set(allowed)))
        if allowed:
            return 'unknown key(s) %s; allowed: %s' % (
                ', '.join(map(repr, extra)), ', '.join(allowed))
        return 'unknown key(s) %s' % ', '.join(map(repr, extra))
    if v == 'enum':
        return 'must be one of %s (got %r)' % (
            ', '.join(map(repr, err.validator_value)), err.instance)
    if v == 'const':
        return 'must be %r (got %r)' % (err.validator_value, err.instance)
    if v == 'type':
        return 'must be of type %s (got %r)' % (
            err.validator_value, err.instance)
    if v in ('minimum', 'maximum', 'minItems', 'maxItems'):
        word = 'at least' if v.startswith('min') else 'at most'
        unit = ' item(s)' if v.endswith('Items') else ''
        return 'must be %s %s%s (got %r)' % (
            word, err.validator_value, unit,
            len(err.instance) if v.endswith('Items') else err.instance)
    if v == 'pattern':
        return 'must match %s (got %r)' % (err.validator_value, err.instance)
    return err.message


def errors(data, schema, text, what, explain_fn=explain):
    """One line per schema violation: '<what>:<line>: field <path>: ...'."""
    lines = line_map(text)
    found = sorted(Validator(schema).iter_errors(data),
                   key=lambda e: list(map(str, e.absolute_path)))
    out = []
    for err in found:
        path = tuple(err.absolute_path)
        line = lines.get(path)
        out.append('%s%s: field %s: %s' % (
            what, ':%d' % line if line else '', fmt_path(path),
            explain_fn(_without_secret(err))))
    return out


class _Hidden:
    def __repr__(self):
        return HIDDEN


def _without_secret(err):
    """``err`` with the offending value hidden when the field names a
    secret (a password typed as a number is still a password).
    """
    if isinstance(err.instance, dict) or not any(
            redact.is_secret_key(p) for p in err.absolute_path):
        return err
    hidden = copy.copy(err)
    hidden.message = err.message.replace(repr(err.instance), HIDDEN)
    hidden.instance = _Hidden()
    return hidden
