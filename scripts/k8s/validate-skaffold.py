"""Validates skaffold.yaml against skaffold's JSON schema for its apiVersion (draft-07; the custom keywords
are ignored), offline. The schema comes from the skaffold Go module (scripts/install-tools.sh).

  validate-skaffold.py SKAFFOLD.yaml SCHEMA.json
"""

import json
import os
import sys

import jsonschema
import yaml


def main() -> int:
    config_path, schema_path = sys.argv[1], sys.argv[2]
    with open(schema_path) as f:
        schema = json.load(f)
    expected = "skaffold/" + os.path.basename(schema_path).removesuffix(".json").split("-")[-1]
    failures = 0
    with open(config_path) as f:
        documents = [d for d in yaml.safe_load_all(f) if d is not None]
    for number, document in enumerate(documents, 1):
        if document.get("apiVersion") != expected:
            print(f"{config_path} document {number}: apiVersion {document.get('apiVersion')!r}, the schema is for {expected}")
            failures += 1
            continue
        validator = jsonschema.Draft7Validator(schema)
        for error in validator.iter_errors(document):
            # The schema wraps everything in anyOf/oneOf, which hides the cause: show the deepest error.
            best = error
            while best.context:
                best = max(best.context, key=lambda e: len(e.absolute_path))
            path = "/".join(str(p) for p in best.absolute_path) or "(root)"
            print(f"{config_path} document {number}: at {path}: {best.message}")
            failures += 1
    if failures:
        return 1
    print(f"{config_path}: {len(documents)} document(s) valid against {expected}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
