"""schemathesis against the app's own OpenAPI document, as an outside prober would run
it: every operation, every check (server errors, response schemas, status codes and
content types the document declares, schema-valid requests accepted, invalid ones
refused, `Allow` on 405), on a served app with the demo district loaded.

The number of examples per operation is bounded (12) so the run stays near a minute
under `make test`'s load; `MARKET_FUZZ_EXAMPLES` and `MARKET_FUZZ_SEED` change them
(the seed is fixed by default so a failure reproduces; the report prints the command
to replay it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def test_schemathesis_finds_no_failure_in_the_openapi_document(
    server: str, demo_district: object
) -> None:
    assert SCHEMATHESIS.exists(), "schemathesis is a dev dependency: run make setup"
    examples = os.environ.get("MARKET_FUZZ_EXAMPLES", "12")
    seed = os.environ.get("MARKET_FUZZ_SEED", "20261129")
    result = subprocess.run(  # noqa: S603 - our own virtualenv's tool, fixed arguments
        [
            str(SCHEMATHESIS),
            "run",
            f"{server}/api/schema/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            examples,
            "--seed",
            seed,
            "--no-color",
            "--request-timeout",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = result.stdout[-12000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    selected = re.search(r"Selected: (\d+)/(\d+)", report)
    tested = re.search(r"Tested: (\d+)", report)
    assert selected and tested, report
    total = int(selected.group(2))
    assert total >= 11 and int(selected.group(1)) == int(tested.group(1)) == total, report
