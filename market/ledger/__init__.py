"""Double-entry, append-only ledger with two-phase transfers (TigerBeetle-shaped).

Other apps call `market.ledger.escrow` (business operations) or
`market.ledger.services` (raw transfers) and read `market.ledger.readmodels`.
"""
