"""Pure OCDS rules and the release builder: tags, identifiers, exact yuan, sealing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market import uscc
from market.errors import DomainError
from opendata.ocds import rules
from opendata.ocds.build import ProcessFacts, build_release

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@given(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1))
def test_yuan_is_exactly_the_fen_amount(fen: int) -> None:
    value = rules.yuan(fen)
    assert Decimal(repr(value)) * 100 == fen
    assert isinstance(value, int) == (fen % 100 == 0)


def test_yuan_refuses_what_it_cannot_publish_exactly() -> None:
    with pytest.raises(TypeError):
        rules.yuan(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="too large"):
        rules.yuan(10**15)
    assert repr(rules.yuan(1234567)) == "12345.67"


def test_state_changes_map_to_release_tags() -> None:
    assert rules.tag_for("tender.publish") == "tender"
    assert rules.tag_for("tender.amend") == "tenderAmendment"
    assert rules.tag_for("tender.cancel") == "tenderCancellation"
    assert rules.tag_for("tender.award") == "award"
    assert rules.tag_for("contract.activate") == "contract"
    assert rules.tag_for("milestone.approve") == "implementation"
    assert rules.tag_for("contract.terminate") == "contractTermination"
    assert rules.tag_for("tender.terminate") is None  # the contract's event publishes it
    assert rules.tag_for("bid.submit") is None  # sealed bids publish nothing
    assert rules.tag_for("tender.open_tendering") is None


def test_every_tender_status_maps_into_the_closed_1_1_codelist() -> None:
    from market.tenders.rules import STATUSES

    codelist = {"planning", "planned", "active", "cancelled", "unsuccessful", "complete"}
    assert set(rules.TENDER_STATUS) == set(STATUSES)
    assert set(rules.TENDER_STATUS.values()) <= codelist
    assert rules.TENDER_STATUS["terminated"] == "complete"  # the contract says terminated


def test_ocids_and_release_ids() -> None:
    ocid = rules.ocid("pgm001", 42)
    assert ocid == "ocds-pgm001-42"
    assert rules.release_id(ocid, 7) == "ocds-pgm001-42-7"
    assert rules.tender_id_of(ocid, "pgm001") == 42
    assert rules.tender_id_of("ocds-other-42", "pgm001") is None
    assert rules.tender_id_of("ocds-pgm001-042", "pgm001") is None


def test_a_cursor_is_digits_or_a_400() -> None:
    assert rules.parse_cursor(None) is None and rules.parse_cursor("") is None
    assert rules.parse_cursor("15") == 15
    for bad in ("abc", "-1", "1.5", "9" * 19):
        with pytest.raises(DomainError) as caught:
            rules.parse_cursor(bad)
        assert caught.value.status_code == 400


def test_contract_status_follows_the_1_1_codelist() -> None:
    assert rules.contract_status("pending", False) == "pending"
    assert rules.contract_status("active", True) == "active"
    assert rules.contract_status("completed", True) == "terminated"
    assert rules.contract_status("terminated", False) == "cancelled"


def test_dates_are_utc_instants_and_china_days() -> None:
    assert rules.iso(AT) == "2026-11-02T09:00:00Z"
    assert rules.iso_day(date(2026, 12, 1)) == "2026-12-01T00:00:00+08:00"


def org(n: int, name: str) -> dict[str, object]:
    code = uscc.make("5", "1", "330106", f"MJ0000{n:02d}")
    return {"org_id": n, "uscc": code, "name_zh": name, "name_en": ""}


def facts(*, opened: bool, funders: dict[str, list[dict[str, object]]]) -> ProcessFacts:
    tender = {
        "id": 9,
        "ocid": "ocds-pgm001-9",
        "status": "tendering",
        "currency": "CNY",
        "title_zh": "养老服务",
        "title_en": "",
        "description_zh": "上门服务",
        "description_en": "",
        "budget": 200_000_00,
        "criteria": '[{"key": "c1", "name": "Plan", "weight": 70}, '
        '{"key": "price", "name": "Price", "weight": 30, "is_price": true}]',
        "enquiry_end": AT,
        "bid_deadline": AT,
        "opening_at": AT,
        "published_at": AT,
        "cancel_reason": "",
    }
    bids = [{"id": 1, "status": "qualified", "price": 150_000_00, **org(5, "社工站")}]
    return ProcessFacts(
        tender=tender,
        department=org(1, "民政局"),
        documents=[],
        amendments=[],
        opened=opened,
        bids=bids if opened else [],
        awards=[],
        contracts=[],
        milestones=[],
        releases=[],
        funding={"government": 200_000_00, "corporate": 1_000_01, "public": 50},
        funders=funders,
    )


def build(f: ProcessFacts) -> dict[str, object]:
    return build_release(
        f, ocid="ocds-pgm001-9", release_id="ocds-pgm001-9-3", tag="tender", at=AT, base_url="x"
    )


def test_a_release_before_opening_says_nothing_about_bids() -> None:
    release = build(facts(opened=False, funders={}))
    tender = release["tender"]
    assert isinstance(tender, dict)
    assert "tenderers" not in tender and "numberOfTenderers" not in tender
    assert tender["status"] == "active" and tender["awardCriteria"] == "ratedCriteria"
    opened = build(facts(opened=True, funders={}))["tender"]
    assert isinstance(opened, dict) and opened["numberOfTenderers"] == 1


def test_the_budget_breakdown_adds_up_and_names_its_source_parties() -> None:
    two = [org(2, "甲企业"), org(3, "乙企业")]
    release = build(facts(opened=False, funders={"corporate": two}))
    budget = release["planning"]["budget"]  # type: ignore[index]
    lines = {b["id"]: b for b in budget["budgetBreakdown"]}
    assert set(lines) == {"government", "corporate", "public"}
    total = sum(Decimal(repr(b["amount"]["amount"])) for b in lines.values())
    assert (
        total * 100 == 200_000_00 + 1_000_01 + 50 == Decimal(repr(budget["amount"]["amount"])) * 100
    )
    assert lines["government"]["sourceParty"]["id"] == "CN-USCI-51330106MJ0000018H"
    assert lines["corporate"]["sourceParty"]["id"] == "ocds-pgm001-9-corporate"  # pooled
    parties = {p["id"]: p for p in release["parties"]}  # type: ignore[union-attr]
    department = parties["CN-USCI-51330106MJ0000018H"]
    assert department["roles"] == ["buyer", "funder", "procuringEntity", "sourceParty"]
    assert department["identifier"] == {
        "scheme": "CN-USCI",
        "id": "51330106MJ0000018H",
        "legalName": "民政局",
    }


def test_the_cli_has_an_export_command_that_needs_a_directory() -> None:
    from composition.cli import build_parser

    args = build_parser().parse_args(["ocds", "export", "--out", "dump"])
    assert args.target == "opendata.cli:export_command" and args.out == "dump"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["ocds", "export"])
