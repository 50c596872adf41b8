"""Writes assets/tdkt/json-schema-2020-12.json: JSON Schema draft 2020-12's meta-schema (from the jsonschema package
the project already installs) flattened into one self-contained document — its vocabularies merged, $dynamicRef to
the meta-schema itself turned into "#" — so the form editor checks schemas in the browser with no network request.
Run again only when jsonschema-specifications changes: .venv/bin/python scripts/flatten_metaschema.py"""
import json
from pathlib import Path

import jsonschema_specifications

ROOT = Path(__file__).resolve().parent.parent
SPEC = Path(jsonschema_specifications.__file__).parent / "schemas" / "draft202012"


def rewrite(node):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$dynamicRef" and value == "#meta":
                out["$ref"] = "#"
            elif key in ("$dynamicAnchor", "$schema", "$id", "$vocabulary", "allOf") and isinstance(value, (str, dict)):
                continue
            else:
                out[key] = rewrite(value)
        return out
    if isinstance(node, list):
        return [rewrite(v) for v in node]
    return node


def main():
    top = json.loads((SPEC / "metaschema.json").read_text())
    merged = {"$comment": "JSON Schema 2020-12 meta-schema, flattened (scripts/flatten_metaschema.py)",
              "type": ["object", "boolean"], "properties": {}, "$defs": {}}
    for path in sorted((SPEC / "vocabularies").iterdir()):
        vocab = json.loads(path.read_text())
        merged["properties"].update(rewrite(vocab.get("properties", {})))
        merged["$defs"].update(rewrite(vocab.get("$defs", {})))
    merged["properties"].update(rewrite(top.get("properties", {})))
    out = ROOT / "assets" / "tdkt" / "json-schema-2020-12.json"
    out.write_text(json.dumps(merged, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
