"""OCDS 1.1 publication: a release per state change, release and record packages.

- `rules`: pure mapping rules (tags, ocids, values in yuan, statuses, packages).
- `build`: pure: the facts of one contracting process → one release.
- `facts`: reads those facts from market, bids and donors (inside the caller's transaction).
- `publish`: the audit-chain hook that writes an immutable `ocds_release` row in the
  transaction of the state change it publishes.
- `packages`: release packages (keyset-paginated), record packages (ocdsmerge), export.
"""
