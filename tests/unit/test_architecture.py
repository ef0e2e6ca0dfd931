"""Architecture ratchets: the shape of the code, checked with `ast` (tests/architecture.py).

- no import cycle between any two modules of the apps (function-level imports count);
- the apps' dependency direction: the kernel (`market`) imports no app; `bids` imports
  the kernel; `donors` the kernel and `bids.queries` (the bids app's read functions) only;
  `opendata` may read everything; only `composition` (the composition root) wires them;
- importing a module registers nothing (payment kinds, tender and audit hooks are wired
  by `composition.wiring.wire()`);
- the cross-app SQL rule: a SQL string in one app naming a table another app's
  `*tables.py` declares fails — except today's violations, listed below; another app's
  `<app>_v_<name>` view may be read only when the owner lists it in `VIEWS` in its
  `read_views.py` (its documented read contract);
- controllers catch no domain error themselves (no `except DomainError`, subclass or
  alias, no `suppress(...)` of one): the one error mapping does (market/web/errors.py
  and `shows_form_errors` / `as_field_error` in market/web/form_errors.py);
- sizes: no module over 400 lines, no function over 60 lines (migrations and demo data
  aside), no route-handler body over 15 lines — except today's offenders, listed below.

The baselines may only shrink: an entry that no longer occurs (or a count that grew)
fails, so remove it when you fix it. `python -m tests.architecture` prints today's
offenders in this shape.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.architecture import (
    ROOT,
    caught_in_controllers,
    cross_app_sql,
    declared_tables,
    declared_views,
    direction_violations,
    domain_errors,
    find_cycles,
    import_graph,
    imports_between,
    load_sources,
    long_functions,
    long_handlers,
    long_modules,
    ratchet_problems,
    set_ratchet_problems,
    undeclared_views,
)

SOURCES = load_sources()
GRAPH = import_graph(SOURCES)

ALLOWED: dict[str, set[str]] = {
    "market": set(),
    "bids": {"market"},
    "donors": {"market", "bids"},  # bids only through bids.queries (checked below)
    "opendata": {"market", "bids", "donors"},
    "notify": {"market", "bids", "donors"},
    # funds reuses the kernel's tenders and ledger, the bids app's proposals (sealed
    # bids), panels and scoring, and the donors app's payments (ARCHITECTURE.md)
    "funds": {"market", "bids", "donors"},
    "composition": {"market", "bids", "donors", "opendata", "notify", "funds"},
}

# Exceptions to the cross-app SQL rule (file → other apps' tables its SQL names): none
# left. Read through the owner's query functions (bids and donors use the kernel's
# market/tenders/readmodels.py, market/directory.py, market/ledger/readmodels.py) or
# the views its migrations create and its read_views.py declares (opendata).
CROSS_APP_SQL_BASELINE: dict[str, set[str]] = {}

# Modules over 400 lines (migrations, demo.py and demo_data.py aside).
LONG_MODULES: dict[str, int] = {}

# Functions over 60 lines, `def` to last line.
LONG_FUNCTIONS: dict[str, int] = {}

# Route handlers whose body (after the docstring) is over 15 lines.
LONG_HANDLERS: dict[str, int] = {}


def test_no_import_cycle() -> None:
    assert find_cycles(GRAPH) == []


def test_the_cycle_checker_sees_a_function_level_import_cycle() -> None:
    sources = {
        "donors/payments.py": "def effects():\n    from donors import donations\n",
        "donors/donations.py": "from donors import payments\n",
        "donors/__init__.py": "",
    }
    assert find_cycles(import_graph(sources)) == [["donors.donations", "donors.payments"]]


def test_apps_depend_in_the_allowed_direction() -> None:
    assert direction_violations(GRAPH, ALLOWED) == []
    assert imports_between(GRAPH, "donors", "bids") <= {"bids.queries"}


def test_the_direction_checker_sees_a_lazy_kernel_import_of_an_app() -> None:
    sources = {
        "market/app.py": "def routes():\n    from bids.controllers import BidController\n",
        "bids/controllers.py": "from market import app\n",
    }
    graph = import_graph(sources)
    assert direction_violations(graph, ALLOWED) == [("market.app", "bids.controllers")]


def test_importing_every_module_registers_nothing() -> None:
    modules = sorted(
        m for m in GRAPH if ".piccolo_migrations" not in m and not m.startswith("composition")
    )
    script = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "from donors import payments\n"
        "from market import audit\n"
        "from market.tenders import hooks\n"
        "print(json.dumps([sorted(payments._ON_PAID), len(audit._appended),"
        " len(hooks._amended), hooks._bid_counter is not None]))\n"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert json.loads(out.strip().splitlines()[-1]) == [[], 0, 0, False]


def test_no_sql_names_another_apps_table_beyond_the_baseline() -> None:
    current = cross_app_sql(SOURCES, declared_tables(SOURCES))
    assert set_ratchet_problems(current, CROSS_APP_SQL_BASELINE) == []


def test_the_sql_checker_sees_another_apps_table_and_a_stale_baseline() -> None:
    sources = {
        "bids/tables.py": 'class Contract(Table, tablename="bids_contract"):\n    pass\n',
        "donors/tables.py": "class Settlement(Table):\n    pass\n",
        "donors/settlement.py": (
            "async def f():\n"
            '    await execute("SELECT c.tender FROM bids_contract c"\n'
            '                " JOIN settlement s ON s.tender = c.tender")\n'
            "NOTE = 'bids_contract is read through bids.queries'\n"
        ),
        "bids/queries.py": "SQL = 'SELECT * FROM bids_contract'\n",
        "donors/piccolo_migrations/m.py": "SQL = 'SELECT * FROM bids_contract'\n",
    }
    owners = declared_tables(sources)
    assert owners == {"bids_contract": "bids", "settlement": "donors"}
    current = cross_app_sql(sources, owners)
    assert current == {"donors/settlement.py": {"bids_contract"}}
    assert set_ratchet_problems(current, {}) == [
        "new: donors/settlement.py names bids_contract in SQL"
    ]
    assert set_ratchet_problems({}, {"donors/settlement.py": {"bids_contract"}}) == [
        "stale baseline entry (fixed? remove it): donors/settlement.py → bids_contract"
    ]


def test_other_apps_views_are_read_only_when_the_owner_declares_them() -> None:
    views = declared_views(SOURCES)
    assert "bids_v_contract" in views and views["market_v_ledger_transfer"] == "market"
    assert undeclared_views(SOURCES, views) == {}


def test_the_view_checker_allows_declared_views_and_sees_undeclared_ones() -> None:
    sources = {
        "bids/tables.py": 'class Contract(Table, tablename="bids_contract"):\n    pass\n',
        "bids/read_views.py": 'VIEWS = ("bids_v_contract",)\n',
        "opendata/report.py": (
            "A = 'SELECT tender FROM bids_v_contract'\n"
            "B = 'SELECT * FROM bids_v_score JOIN opendata_v_own ON true'\n"
        ),
    }
    views = declared_views(sources)
    assert views == {"bids_v_contract": "bids"}
    assert cross_app_sql(sources, declared_tables(sources)) == {}
    assert undeclared_views(sources, views) == {"opendata/report.py": {"bids_v_score"}}


def test_controllers_catch_no_domain_error() -> None:
    errors = domain_errors(SOURCES)
    assert {"ValidationFailed", "InvalidAmount", "FourEyesDenied", "CursorInvalid"} <= errors
    assert "ScoringError" not in errors  # a ValueError, not a refusal
    assert caught_in_controllers(SOURCES, errors) == {}


def test_the_controller_checker_sees_caught_domain_errors_and_their_aliases() -> None:
    sources = {
        "market/errors.py": (
            "class DomainError(Exception): ...\nclass PermissionDenied(DomainError): ...\n"
        ),
        "market/inputs.py": "import market\nclass InputInvalid(market.errors.DomainError): ...\n",
        "bids/rules.py": (
            "class FourEyesDenied(PermissionDenied): ...\nclass Odd(ValueError): ...\n"
        ),
        "opendata/rules.py": "from market import inputs\nCursorInvalid = inputs.InputInvalid\n",
        "bids/controllers/panel.py": (
            "async def decide():\n"
            "    try:\n"
            "        await call()\n"
            "    except FourEyesDenied:\n"
            "        pass\n"
            "    except (Odd, rules.CursorInvalid) as exc:\n"
            "        pass\n"
            "    except Exception:\n"
            "        pass\n"
            "    with suppress(InputInvalid):\n"
            "        await call()\n"
        ),
        "donors/controllers.py": "try:\n    x()\nexcept DomainError:\n    pass\n",
        "donors/readmodels.py": "try:\n    x()\nexcept DomainError:\n    pass\n",
    }
    errors = domain_errors(sources)
    assert errors == {
        "DomainError",
        "PermissionDenied",
        "InputInvalid",
        "FourEyesDenied",
        "CursorInvalid",
    }
    assert caught_in_controllers(sources, errors) == {
        "bids/controllers/panel.py": {"FourEyesDenied:4", "CursorInvalid:6", "InputInvalid:10"},
        "donors/controllers.py": {"DomainError:3"},
    }


def test_modules_functions_and_handlers_stay_short_beyond_the_baseline() -> None:
    problems = [
        *ratchet_problems(long_modules(SOURCES, 400), LONG_MODULES),
        *ratchet_problems(long_functions(SOURCES, 60), LONG_FUNCTIONS),
        *ratchet_problems(long_handlers(SOURCES, 15), LONG_HANDLERS),
    ]
    assert problems == []


def test_the_size_checkers_see_long_code_and_stale_entries() -> None:
    body = "".join(f"        x{i} = {i}\n" for i in range(16))
    handler = f'class C:\n    @post("/x")\n    async def h(self):\n        """Doc."""\n{body}'
    sources = {
        "bids/controllers.py": handler,
        "bids/big.py": "x = 1\n" * 401,
        "bids/long.py": "def f():\n" + "    y = 1\n" * 60,
        "bids/piccolo_migrations/m.py": "def f():\n" + "    y = 1\n" * 99,
        "market/demo_data.py": "x = 1\n" * 999,
    }
    assert long_handlers(sources, 15) == {"bids/controllers.py::C.h": 16}
    assert long_modules(sources, 400) == {"bids/big.py": 401}
    assert long_functions(sources, 60) == {"bids/long.py::f": 61}
    assert ratchet_problems({"bids/big.py": 401}, {}) == ["new: bids/big.py (401 lines)"]
    assert ratchet_problems({"bids/big.py": 402}, {"bids/big.py": 401}) == [
        "grew: bids/big.py (401 → 402 lines)"
    ]
    assert ratchet_problems({}, {"bids/big.py": 401}) == [
        "stale baseline entry (fixed? remove it): bids/big.py"
    ]
