"""Validate the tool's JSON outputs against the committed schemas in Documentation/schemas/.

    from schemas import validate
    validate("report", json.loads(stdout))        # raises jsonschema.ValidationError, naming the path

Kinds: report (check --format json), certificates (check --certificates), inspect (inspect --format
json), count (count --format json, one shape or --table). Draft 2020-12, strict: unknown keys fail.
"""
import functools
import json
import os

import jsonschema

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Documentation", "schemas")
KINDS = ("report", "certificates", "inspect", "count")


@functools.lru_cache(maxsize=None)
def validator(kind):
    if kind not in KINDS:
        raise ValueError(f"unknown schema kind {kind!r}; one of {', '.join(KINDS)}")
    with open(os.path.join(SCHEMA_DIR, f"{kind}.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def validate(kind, document):
    """Raise jsonschema.ValidationError (the best-matching error) unless `document` fits `kind`'s schema.
    `document` is parsed JSON, or a str/bytes of JSON text."""
    if isinstance(document, (str, bytes)):
        document = json.loads(document)
    error = jsonschema.exceptions.best_match(validator(kind).iter_errors(document))
    if error is not None:
        raise error
    return document
