"""`market backup verify` compares the restored audit chain with the head the app
published when the backup was taken (composition.backup.compare_heads): the published
row must be in the restored chain with the published hash, and the restored chain may
not run past the head published once the backup was done."""

from __future__ import annotations

from composition.backup import Head, compare_heads

PUBLISHED = {"audit-length": "120", "audit-head": "ab" * 32, "audit-length-after": "131"}


def test_a_restored_chain_that_contains_the_published_head_passes() -> None:
    ok, line = compare_heads(PUBLISHED, Head(125, "cd" * 32), "ab" * 32)
    assert ok, line
    assert "120" in line and "125" in line


def test_a_restored_chain_behind_the_published_head_fails() -> None:
    ok, line = compare_heads(PUBLISHED, Head(119, "cd" * 32), None)
    assert not ok and "before the published 120" in line


def test_a_restored_row_with_another_hash_fails() -> None:
    ok, line = compare_heads(PUBLISHED, Head(125, "cd" * 32), "ef" * 32)
    assert not ok and "published" in line


def test_a_restored_chain_past_what_was_published_after_the_backup_fails() -> None:
    ok, line = compare_heads(PUBLISHED, Head(132, "cd" * 32), "ab" * 32)
    assert not ok and "past 131" in line


def test_an_empty_chain_matches_an_empty_published_head() -> None:
    empty = {"audit-length": "0", "audit-head": "0" * 64, "audit-length-after": "0"}
    assert compare_heads(empty, Head(0, "0" * 64), None)[0]


def test_a_backup_without_a_recorded_head_is_not_verified() -> None:
    ok, line = compare_heads({}, Head(5, "cd" * 32), None)
    assert not ok and "market backup take" in line
