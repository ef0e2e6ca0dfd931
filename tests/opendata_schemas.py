"""Validators for the published open-data packages, against the standards' own schemas
in `../shared/standards` or `$MARKET_STANDARDS_DIR` (read offline: each `$ref` URL is
mapped to the local file).

Tests that use them skip with a clear message when that folder is absent.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

# MARKET_STANDARDS_DIR names the folder when the checkout is not beside `shared` (a worktree).
STANDARDS = Path(
    os.environ.get("MARKET_STANDARDS_DIR")
    or (Path(__file__).resolve().parents[1] / ".." / "shared" / "standards")
).resolve()
OCDS = STANDARDS / "ocds-1.1"
GIVING = STANDARDS / "360giving"
GRANT_URLS = (
    "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json",
)


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def need_standards() -> None:
    if (
        not (OCDS / "release-schema.json").exists()
        or not (GIVING / "360-giving-schema.json").exists()
    ):
        pytest.skip(f"the published schemas are not available at {STANDARDS}")


@lru_cache(maxsize=1)
def _ocds_registry() -> Registry:
    release = _load(OCDS / "release-schema.json")
    resource: Resource[Any] = DRAFT4.create_resource(release)
    return Registry().with_resource(release["id"], resource)


@lru_cache(maxsize=2)
def _ocds_validator(name: str) -> Draft4Validator:
    return Draft4Validator(_load(OCDS / name), registry=_ocds_registry())


def ocds_errors(package: dict[str, Any], kind: str) -> list[str]:
    """Messages of every schema violation of a release ("release") or record package."""
    need_standards()
    validator = _ocds_validator(f"{kind}-package-schema.json")
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(package)
    ]


@lru_cache(maxsize=1)
def _giving_validator() -> Draft202012Validator:
    grant = _load(GIVING / "360-giving-schema.json")
    resource: Resource[Any] = DRAFT202012.create_resource(grant)
    registry = Registry().with_resources([(url, resource) for url in (*GRANT_URLS, grant["$id"])])
    return Draft202012Validator(_load(GIVING / "360-giving-package-schema.json"), registry=registry)


def giving_errors(package: dict[str, Any]) -> list[str]:
    need_standards()
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in _giving_validator().iter_errors(package)
    ]
