"""Reads rendered Kubernetes manifests (YAML, many documents per file) and prints them as one JSON object
for consistency.ts:

  {"objects": [{"file", "index", "object"}], "externals": {"Secret": [...], "ConfigMap": [...]}}

externals are the Secrets and ConfigMaps that the given Helm values files name as existing outside the chart
(every value of a key called existingSecret or existingConfigMap).

  manifests-to-json.py MANIFEST.yaml... [--values VALUES.yaml]...
"""

import argparse
import json
import sys

import yaml


def externals_of(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "existingSecret" and isinstance(value, str) and value:
                found["Secret"].append(value)
            elif key == "existingConfigMap" and isinstance(value, str) and value:
                found["ConfigMap"].append(value)
            else:
                externals_of(value, found)
    elif isinstance(node, list):
        for item in node:
            externals_of(item, found)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("manifests", nargs="+")
    parser.add_argument("--values", action="append", default=[])
    args = parser.parse_args()
    objects = []
    for path in args.manifests:
        with open(path) as f:
            for index, document in enumerate(yaml.safe_load_all(f)):
                if document is not None:
                    objects.append({"file": path, "index": index, "object": document})
    externals = {"Secret": [], "ConfigMap": []}
    for path in args.values:
        with open(path) as f:
            externals_of(yaml.safe_load(f), externals)
    json.dump({"objects": objects, "externals": externals}, sys.stdout)


if __name__ == "__main__":
    main()
