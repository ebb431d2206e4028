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

"""Order statistics for timing samples: small, dependency-free, exact.

Percentiles use linear interpolation between closest ranks (the method
numpy calls ``linear``), so p50 of ``[1, 2]`` is 1.5 and a single sample is
every percentile of itself.
"""

import math

PERCENTILES = (50, 90, 95)


def percentile(sorted_values, q):
    """The ``q``-th percentile (0..100) of an already sorted sequence."""
    if not sorted_values:
        return None
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = math.ceil(pos)
    if lo == hi:
        return sorted_values[lo]
    frac = pos - lo
    return sorted_values[lo] * (1 - frac) + sorted_values[hi] * frac


def summary(values, digits=4):
    """count, min, p50, p90, p95, max and mean of ``values`` (seconds)."""
    vals = sorted(float(v) for v in values if v is not None)
    if not vals:
        return {'count': 0}

    def r(x):
        return round(x, digits)

    out = {'count': len(vals), 'min': r(vals[0])}
    for q in PERCENTILES:
        out['p%d' % q] = r(percentile(vals, q))
    out['max'] = r(vals[-1])
    out['mean'] = r(sum(vals) / len(vals))
    return out


def group(items, key, value):
    """``{key(item): summary([value(item), ...])}`` for the items whose key
    is not None, keys sorted.
    """
    buckets = {}
    for it in items:
        k = key(it)
        if k is None:
            continue
        v = value(it)
        if v is None:
            continue
        buckets.setdefault(k, []).append(v)
    return {k: summary(buckets[k]) for k in sorted(buckets, key=str)}
