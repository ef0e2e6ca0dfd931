"""Evaluation arithmetic. PURE (no framework imports).

Weighted criteria are defined on the tender and sum to 100. The price criterion
scores `lowest_price / price × weight`; each quality criterion scores the mean of
the evaluators' 0–100 marks × weight / 100. All arithmetic is exact (fractions);
totals are rounded only for display. The award goes to the highest total; ties go
to the lower price, then to the earlier receipt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction


class ScoringError(ValueError):
    """Scores or criteria that cannot be evaluated."""


@dataclass(frozen=True, slots=True)
class Criterion:
    key: str
    weight: int
    is_price: bool = False


@dataclass(frozen=True, slots=True)
class Candidate:
    bid_id: int
    price: int  # minor units, > 0
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Result:
    bid_id: int
    total: Fraction
    parts: Mapping[str, Fraction]
    rank: int

    def display_total(self) -> str:
        return f"{float(self.total):.2f}"


def check_criteria(criteria: Sequence[Criterion]) -> None:
    if not criteria:
        raise ScoringError("a tender needs at least one evaluation criterion")
    if sum(c.weight for c in criteria) != 100:
        raise ScoringError("criterion weights must sum to 100")
    if any(c.weight <= 0 for c in criteria):
        raise ScoringError("every criterion weight must be positive")
    if sum(1 for c in criteria if c.is_price) > 1:
        raise ScoringError("at most one criterion can be price")
    if len({c.key for c in criteria}) != len(criteria):
        raise ScoringError("criterion keys must be unique")


def check_mark(mark: int) -> None:
    if isinstance(mark, bool) or not isinstance(mark, int) or not 0 <= mark <= 100:
        raise ScoringError("a mark is a whole number from 0 to 100")


def price_scores(candidates: Sequence[Candidate], weight: int) -> dict[int, Fraction]:
    if not candidates:
        return {}
    if any(c.price <= 0 for c in candidates):
        raise ScoringError("every bid price must be positive")
    lowest = min(c.price for c in candidates)
    return {c.bid_id: Fraction(lowest, c.price) * weight for c in candidates}


def rank(
    criteria: Sequence[Criterion],
    candidates: Sequence[Candidate],
    marks: Mapping[int, Mapping[str, Sequence[int]]],
) -> list[Result]:
    """Score and rank. `marks[bid_id][criterion_key]` = every evaluator's 0–100 mark."""
    check_criteria(criteria)
    price = next((c for c in criteria if c.is_price), None)
    prices = price_scores(candidates, price.weight) if price else {}
    scored: list[tuple[Fraction, int, datetime, int, dict[str, Fraction]]] = []
    for candidate in candidates:
        parts: dict[str, Fraction] = {}
        for criterion in criteria:
            if criterion.is_price:
                parts[criterion.key] = prices[candidate.bid_id]
                continue
            given = marks.get(candidate.bid_id, {}).get(criterion.key, ())
            if not given:
                raise ScoringError(f"bid {candidate.bid_id} has no marks for {criterion.key}")
            for mark in given:
                check_mark(mark)
            parts[criterion.key] = Fraction(sum(given), len(given)) * criterion.weight / 100
        total = sum(parts.values(), Fraction(0))
        scored.append((-total, candidate.price, candidate.received_at, candidate.bid_id, parts))
    scored.sort(key=lambda row: row[:4])
    return [
        Result(bid_id=row[3], total=-row[0], parts=row[4], rank=index + 1)
        for index, row in enumerate(scored)
    ]
