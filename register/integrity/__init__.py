"""Tamper evidence beyond the register's own chain: a ledger of what the register keeps in
place (item statuses, normalised identifiers and keys, hits, the audit log), keyed hashes,
and chain heads anchored outside the database. See docs/design.md, "Tamper evidence"."""
