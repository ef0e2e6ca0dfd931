"""`market ocds export --out DIR`: the bulk download of everything published.

DIR/releases/page-00001.json …   release packages (every release, oldest first)
DIR/records/<ocid>.json           one record package per ocid (compiled with ocdsmerge)
DIR/360giving/grants.json         the 360Giving package
DIR/index.json                    what was written, with the audit chain head

Idempotent: files are written whole (temporary file + rename) and pages that no
longer exist are removed, so running it twice leaves the same set of files.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from market import clock
from market.audit import chain_head
from opendata import giving
from opendata.ocds import packages, rules

EXPORT_PAGE = 1000


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _prune(folder: Path, pattern: str, keep: set[str]) -> None:
    """Remove files from an earlier export that this one did not write."""
    for stale in sorted(folder.glob(pattern)):
        if stale.name not in keep:
            stale.unlink()


async def export(out: Path) -> dict[str, Any]:
    """Write the bulk files under `out`; returns the index."""
    release_files: list[str] = []
    after: int | None = None
    total = 0
    while True:
        page = await packages.release_page(after=after, limit=EXPORT_PAGE)
        package = await packages.package_of(page, ocid=None, after=after, limit=EXPORT_PAGE)
        name = f"releases/page-{len(release_files) + 1:05d}.json"
        package.pop("links", None)
        package["uri"] = f"{packages.base_url()}/ocds/export/{name}"
        _write(out / name, package)
        release_files.append(name)
        total += len(package["releases"])
        if page.next_after is None:
            break
        after = page.next_after
    _prune(out / "releases", "page-*.json", {Path(n).name for n in release_files})
    record_files: list[str] = []
    last = ""
    while True:
        batch = await packages.ocids(after=last, limit=500)
        for ocid in batch:
            record = await packages.record_package(ocid)
            if record is not None:
                name = f"records/{ocid}.json"
                _write(out / name, record)
                record_files.append(name)
        if len(batch) < 500:
            break
        last = batch[-1]
    grants = await giving.grants_package()
    _write(out / "360giving" / "grants.json", grants)
    length, head = await chain_head()
    index = {
        "publishedDate": rules.iso(clock.now()),
        "ocdsVersion": rules.OCDS_VERSION,
        "releases": total,
        "releasePackages": release_files,
        "records": record_files,
        "grants": {"file": "360giving/grants.json", "count": len(grants["grants"])},
        "auditChain": {"length": length, "head": head},
    }
    _write(out / "index.json", index)
    return index


async def export_command(args: argparse.Namespace) -> int:
    from market.db import close_pool, start_pool

    await start_pool()
    try:
        index = await export(Path(args.out))
    finally:
        await close_pool()
    print(
        f"ocds export: {index['releases']} releases in {len(index['releasePackages'])} "
        f"package(s), {len(index['records'])} records, {index['grants']['count']} grants "
        f"→ {args.out}"
    )
    return 0
