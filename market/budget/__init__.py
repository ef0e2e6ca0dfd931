"""The district's community-building budget in the ledger: a year's appropriation
(what the budget law voted), allocated into budget lines per place and priority
category; tenders hold their government budget against a line (market/tenders/
lifecycle.py); what lines leave unspent returns to the appropriation at year end.

Accounts (market.ledger.codes): `external:treasury` → `budget:{year}:p{district}:appropriation`
(recorded) → `budget:line:{id}` (allocated; re-allocated line to line) → held into
`tender:{id}:escrow:government` at publication → posted at signing → released to the
organization in tranches; a void or a return brings money back to the line; the
year-end job returns each line's free balance to the appropriation.
"""
