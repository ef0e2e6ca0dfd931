"""District statistics and organizations' track records, from audited data.

- `rules`: pure (district years, rates, dense series, milestone punctuality);
- `queries`: the district figures, one aggregate query each;
- `rollup`: the funds rollup, an incremental read model over the append-only ledger
  (`market stats fold`);
- `track_record`: an organization's public record (contracts, bids, milestones,
  releases, complaints);
- `views`: charts and labels of the statistics and track-record pages.
"""
