"""The `market` console script: one subcommand per operation (wired first).

Commands live beside the code they drive; this module only parses arguments and
dispatches. Each command is `(name, help, "module:function", add_arguments)`; the
function takes the parsed namespace and returns an exit code (async allowed).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import os
import sys
from collections.abc import Callable
from typing import Any

os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")

Adder = Callable[[argparse.ArgumentParser], None]


def _no_args(parser: argparse.ArgumentParser) -> None:
    return None


def _at_least_one(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _serve_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--workers", type=_at_least_one, default=1, help="server processes (one per core)"
    )
    parser.add_argument("--reload", action="store_true", help="restart on code changes (dev)")


def _demo_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--if-empty", action="store_true", help="load only into an empty database")
    parser.add_argument("--logins", action="store_true", help="print the demo log-ins and exit")


def _export_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="directory to write the bulk files into")


def _stats_fold_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rebuild", action="store_true", help="drop the rollup and fold again")
    parser.add_argument("--check", action="store_true", help="compare with a full ledger scan")
    parser.add_argument("--batch", type=int, default=50_000, help="rows per fold transaction")


def _year_end_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--year", type=int, help="only this (closed) budget year")


def _worker_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true", help="run every due job once and exit")
    parser.add_argument("--job", metavar="NAME", help="run this job now, due or not, and exit")


def _backup_take_args(parser: argparse.ArgumentParser) -> None:
    from composition.backup import take_arguments

    take_arguments(parser)


def _backup_verify_args(parser: argparse.ArgumentParser) -> None:
    from composition.backup import verify_arguments

    verify_arguments(parser)


COMMANDS: list[tuple[str, str, str, Adder]] = [
    ("migrate", "apply database migrations", "market.migrate:command", _no_args),
    ("serve", "serve the web app", "composition.serve:command", _serve_args),
    (
        "worker",
        "run the time-driven jobs (tick, bid opening, settlement, …) on their schedules",
        "market.jobs.worker:command",
        _worker_args,
    ),
    ("demo", "load the demo district", "composition.demo:command", _demo_args),
    ("ledger check", "verify the ledger invariants", "market.ledger.check:command", _no_args),
    (
        "budget year-end",
        "return closed budget years' free line balances to their appropriations",
        "market.budget.year_end:command",
        _year_end_args,
    ),
    ("audit verify", "recompute the audit hash chain", "market.audit:command", _no_args),
    ("pledges expire", "return expired pledges' balances", "donors.pledges:command", _no_args),
    (
        "payments expire",
        "fail payments past their confirmation window, releasing their matches",
        "donors.payments:expire_command",
        _no_args,
    ),
    (
        "donations settle",
        "return failed tenders' remainders and completed tenders' surplus to their sources",
        "donors.settlement:command",
        _no_args,
    ),
    ("outbox deliver", "deliver e-mails waiting in the outbox", "market.outbox:command", _no_args),
    ("tick", "move tenders whose periods have ended", "market.tenders.tick:command", _no_args),
    (
        "bids open",
        "open the sealed bids of tenders past their deadline",
        "bids.opening:command",
        _no_args,
    ),
    (
        "bids rekey",
        "wrap every tender key under a new MARKET_BID_KEY (the old one in MARKET_BID_KEY_OLD)",
        "bids.rekey:command",
        _no_args,
    ),
    (
        "ocds export",
        "write OCDS release/record packages and the 360Giving package",
        "opendata.cli:export_command",
        _export_args,
    ),
    (
        "stats fold",
        "fold settled ledger transfers into the statistics rollup",
        "opendata.statistics.rollup:command",
        _stats_fold_args,
    ),
    (
        "backup take",
        "pgBackRest backup annotated with the audit head published at that time",
        "composition.backup:take",
        _backup_take_args,
    ),
    (
        "backup verify",
        "restore the latest backup into a scratch server and check ledger and audit chain",
        "composition.backup:verify",
        _backup_verify_args,
    ),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="market", description="Public Good Market operations")
    sub = parser.add_subparsers(dest="command", required=True)
    groups: dict[str, Any] = {}
    for name, help_text, target, add in COMMANDS:
        words = name.split()
        if len(words) == 1:
            command_parser = sub.add_parser(words[0], help=help_text)
        else:
            group, leaf = words
            if group not in groups:
                group_parser = sub.add_parser(group, help=f"{group} commands")
                groups[group] = group_parser.add_subparsers(dest="subcommand", required=True)
            command_parser = groups[group].add_parser(leaf, help=help_text)
        add(command_parser)
        command_parser.set_defaults(target=target)
    return parser


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, os.getcwd())
    args = build_parser().parse_args(argv)
    from composition.wiring import wire

    wire()
    module_name, function_name = args.target.split(":")
    function = getattr(importlib.import_module(module_name), function_name)
    result = function(args)
    if inspect.isawaitable(result):
        result = asyncio.run(result)
    return int(result or 0)


if __name__ == "__main__":
    raise SystemExit(main())
