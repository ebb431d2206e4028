"""Shared by the benchmark scripts: write one JSON document."""

import json
import os


def write(doc, output):
    """Write ``doc`` as indented JSON to ``output`` ('-' is stdout)."""
    text = json.dumps(doc, indent=1)
    if output == '-':
        print(text)
        return
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, 'w') as f:
        f.write(text + '\n')
