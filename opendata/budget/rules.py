"""Budget execution from the ledger (pure: no I/O, no framework).

Every figure is computed from the ledger's transfers (`Move`), never from a stored
number, exactly as docs/#18 defines it (the shared design of the budget):

- a line's **allocated** = allocations in + re-allocations in − re-allocations out;
- **committed** (held) = its open pending holds for tenders + the holds posted at
  contract signing that the tenders' government escrow has not yet paid out or given
  back (posted − released − returned from that escrow);
- **released** = tranches paid from the government escrow of the tenders held against
  the line (a tender belongs to the line of its latest hold);
- **returned** = what the line gave back to its appropriation at year end
  (reason `year_end_return`);
- **remaining** = the line account's available balance: credits posted − debits
  posted − open pending debits. Money a tender gives back to its line (a voided hold,
  the unposted part of a hold, an escrow return) counts back into it.

So for every line: allocated = committed + released + returned + remaining, and for an
appropriation: appropriated = Σ committed + Σ released + Σ remaining(lines) +
unallocated, where unallocated is the appropriation account's balance (what was never
allocated, plus the year-end returns).

Sandbox money never reaches here: its holds come from a department's sandbox budget,
and the open-data ledger view leaves sandbox tenders' transfers out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields

LINE_PREFIX = "budget:line:"
PHASES = ("appropriated", "allocated", "committed", "released", "returned", "remaining")
LINE_PHASES = PHASES[1:]
POSTED = ("single", "post")


@dataclass(frozen=True, slots=True)
class Move:
    """One ledger transfer as the budget reads it (account codes, not ids)."""

    id: int
    kind: str  # single | pending | post | void
    reason: str
    amount: int
    debit: str
    credit: str
    tender_id: int | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Figures:
    """The phases of one line, or of a group of lines added together (minor units)."""

    allocated: int = 0
    committed: int = 0
    released: int = 0
    returned: int = 0
    remaining: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def balanced(self) -> bool:
        """allocated = committed + released + returned + remaining."""
        return self.allocated == self.committed + self.released + self.returned + self.remaining

    def get(self, phase: str) -> int:
        return int(getattr(self, phase))


@dataclass(frozen=True, slots=True)
class TenderFigures:
    """What one tender took from its line and where it went."""

    tender_id: int
    line: str  # the line's account code
    held: int  # its latest hold, as placed at publication
    committed: int
    released: int
    back_to_line: int  # voided holds, the unposted part of a hold, escrow returns


@dataclass
class _Line:
    allocated: int = 0
    credits: int = 0
    debits: int = 0
    pending: int = 0
    posted: int = 0
    returned: int = 0
    paid_out: int = 0  # released + escrow returns of its tenders
    released: int = 0


@dataclass
class _Tender:
    line: str
    held: int = 0
    pending: int = 0  # open
    resolved: int = 0  # pending amounts posted or voided
    posted: int = 0
    released: int = 0
    returned: int = 0  # from its government escrow, to anywhere
    to_line: int = 0  # of which to a budget line


@dataclass(frozen=True)
class Execution:
    lines: dict[str, Figures]  # line code → figures
    tenders: dict[int, TenderFigures]
    appropriated: dict[str, int] = field(default_factory=dict)  # appropriation code → amount
    unallocated: dict[str, int] = field(default_factory=dict)  # its balance


def is_line(code: str) -> bool:
    return code.startswith(LINE_PREFIX)


def tender_lines(moves: Iterable[Move]) -> dict[int, str]:
    """tender id → the line of its latest budget hold."""
    owner: dict[int, str] = {}
    for move in sorted(moves, key=lambda m: m.id):
        hold = move.kind == "pending" and move.reason == "budget_hold"
        if hold and is_line(move.debit) and move.tender_id is not None:
            owner[move.tender_id] = move.debit
    return owner


def _escrow_out(move: Move, owner: Mapping[int, str]) -> bool:
    """A tranche or a return out of the government escrow of a tender held on a line."""
    return (
        move.tender_id in owner
        and move.source == "government"
        and move.kind in POSTED
        and move.reason in ("release", "return")
        and move.debit == f"tender:{move.tender_id}:escrow:government"
    )


def _into_line(line: _Line, move: Move, tender: _Tender | None) -> None:
    line.credits += move.amount
    if move.reason in ("allocation", "reallocation"):
        line.allocated += move.amount
    elif move.reason == "return" and tender is not None:
        tender.to_line += move.amount


def _out_of_line(line: _Line, move: Move, tender: _Tender | None, open_hold: bool) -> None:
    if move.kind == "pending":
        if tender is not None and move.reason == "budget_hold" and move.debit == tender.line:
            tender.held = move.amount
            tender.pending += move.amount if open_hold else 0
            tender.resolved += 0 if open_hold else move.amount
        line.pending += move.amount if open_hold else 0
        return
    if move.kind not in POSTED:
        return  # a void moves nothing
    line.debits += move.amount
    if move.reason == "reallocation":
        line.allocated -= move.amount
    elif move.reason == "year_end_return":
        line.returned += move.amount
    elif move.reason == "budget_hold" and move.kind == "post":
        line.posted += move.amount
        if tender is not None and move.debit == tender.line:
            tender.posted += move.amount


def execution(moves: Sequence[Move], resolved: set[int]) -> Execution:
    """Every line's and every held tender's figures from the ledger; `resolved` is the
    set of pending transfer ids that have been posted or voided."""
    owner = tender_lines(moves)
    lines: dict[str, _Line] = {}
    tenders = {t: _Tender(code) for t, code in owner.items()}
    appropriated: dict[str, int] = {}
    unallocated: dict[str, int] = {}
    for move in sorted(moves, key=lambda m: m.id):
        tender = tenders.get(move.tender_id) if move.tender_id is not None else None
        if is_line(move.credit) and move.kind in POSTED:
            _into_line(lines.setdefault(move.credit, _Line()), move, tender)
        if is_line(move.debit):
            line = lines.setdefault(move.debit, _Line())
            _out_of_line(line, move, tender, open_hold=move.id not in resolved)
        if _escrow_out(move, owner) and tender is not None:
            if move.reason == "release":
                tender.released += move.amount
            else:
                tender.returned += move.amount
        _appropriation(move, appropriated, unallocated)
    return _finish(lines, tenders, appropriated, unallocated)


def _appropriation(move: Move, appropriated: dict[str, int], balance: dict[str, int]) -> None:
    if move.kind not in POSTED:
        return
    if move.credit.endswith(":appropriation") and move.credit.startswith("budget:"):
        balance[move.credit] = balance.get(move.credit, 0) + move.amount
        if move.reason == "appropriation":
            appropriated[move.credit] = appropriated.get(move.credit, 0) + move.amount
    if move.debit.endswith(":appropriation") and move.debit.startswith("budget:"):
        balance[move.debit] = balance.get(move.debit, 0) - move.amount


def _finish(
    lines: dict[str, _Line],
    tenders: dict[int, _Tender],
    appropriated: dict[str, int],
    unallocated: dict[str, int],
) -> Execution:
    out_tenders: dict[int, TenderFigures] = {}
    for tender_id, t in tenders.items():
        line = lines.setdefault(t.line, _Line())
        line.released += t.released
        line.paid_out += t.released + t.returned
        out_tenders[tender_id] = TenderFigures(
            tender_id=tender_id,
            line=t.line,
            held=t.held,
            committed=t.pending + t.posted - t.released - t.returned,
            released=t.released,
            back_to_line=t.resolved - t.posted + t.to_line,
        )
    figures = {
        code: Figures(
            allocated=line.allocated,
            committed=line.pending + line.posted - line.paid_out,
            released=line.released,
            returned=line.returned,
            remaining=line.credits - line.debits - line.pending,
        )
        for code, line in lines.items()
    }
    return Execution(figures, out_tenders, appropriated, unallocated)


def appropriation_lines(moves: Iterable[Move], code: str, *, free: int, released: int) -> Figures:
    """All the lines of the appropriation `code` added up, from its own account's
    transfers and two sums over its lines: allocated = what it allocated (re-allocations
    move money between its lines and add nothing), returned = what the lines gave back
    at year end, remaining = their free money (`free`), released = what their tenders
    paid out (`released`), and committed the rest, since for every line allocated =
    committed + released + returned + remaining."""
    allocated = returned = 0
    for move in moves:
        if move.kind not in POSTED:
            continue
        if move.debit == code and move.reason == "allocation":
            allocated += move.amount
        elif move.credit == code and move.reason == "year_end_return":
            returned += move.amount
    return Figures(
        allocated=allocated,
        committed=allocated - released - returned - free,
        released=released,
        returned=returned,
        remaining=free,
    )


def total(figures: Iterable[Figures]) -> Figures:
    out = Figures()
    for item in figures:
        out = out + item
    return out


def project_name(year: int, district_zh: str, district_en: str) -> str:
    """An appropriation as budget documents name it, in both languages."""
    return (
        f"{year}年{district_zh}社区建设专项资金"
        f" {year} {district_en} community-building appropriation"
    )
