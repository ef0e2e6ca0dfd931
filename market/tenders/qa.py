"""Questions and answers during the enquiry period.

Verified social organizations ask; the owning department answers; everything is
public. Askers are shown anonymised but linkable: a tag that is the HMAC of the
organization id under the server secret and the tender's own salt, so one
organization's questions on one tender share a tag, its tags on two tenders differ,
and nobody without the secret can tell who asked.
"""

from __future__ import annotations

from market import clock
from market.audit import actor_of
from market.db import atomic
from market.errors import NotFound, PermissionDenied
from market.settings import get_settings
from market.tables import Membership, TenderQuestion
from market.tenders import records, rules


async def _check_social_org_member(user_id: int, org_id: int) -> None:
    if not await Membership.exists().where(
        (Membership.user == user_id)
        & (Membership.organization == org_id)
        & (Membership.organization.kind == "social_org")
        & (Membership.organization.status == "verified")
    ):
        raise PermissionDenied("Only members of a verified social organization can ask questions.")


async def ask_question(*, user_id: int, org_id: int, tender_id: int, text: str) -> int:
    """A question during the enquiry period (refused afterwards even before `tick`)."""
    text = rules.check_question(text, "question")
    async with atomic():
        row = await records.load_locked(tender_id)
        if row["status"] == "draft":
            raise NotFound(records.NOT_FOUND)
        await _check_social_org_member(user_id, org_id)
        now = clock.now()
        rules.check_can_ask(row["status"], row["enquiry_end"], row["bid_deadline"], now)
        tag = rules.asker_tag(get_settings().secret_key, tender_id, row["qa_salt"], org_id)
        rows = await TenderQuestion.insert(
            TenderQuestion(
                tender=tender_id,
                asker_org=org_id,
                asker_user=user_id,
                asker_tag=tag,
                question=text,
                asked_at=now,
            )
        ).returning(TenderQuestion.id)
        question_id = int(rows[0]["id"])
        # The audit event names the tag, not the organization: the chain is public too.
        await records.record(
            tender_id,
            actor=f"asker:{tag}",
            action="question",
            changes={"question": question_id},
            at=now,
        )
    return question_id


async def answer_question(*, user_id: int, tender_id: int, question_id: int, text: str) -> None:
    """The owning department answers (or corrects its answer) before the bid deadline."""
    text = rules.check_question(text, "answer")
    async with atomic():
        row = await records.load_locked(tender_id)
        await records.check_member(user_id, row["department"])
        now = clock.now()
        rules.check_can_answer(row["status"], row["enquiry_end"], row["bid_deadline"], now)
        updated = (
            await TenderQuestion.update(
                {
                    TenderQuestion.answer: text,
                    TenderQuestion.answered_at: now,
                    TenderQuestion.answered_by: user_id,
                }
            )
            .where((TenderQuestion.id == question_id) & (TenderQuestion.tender == tender_id))
            .returning(TenderQuestion.id)
        )
        if not updated:
            raise NotFound("No such question.")
        await records.record(
            tender_id,
            actor=actor_of(user_id),
            action="answer",
            changes={"question": question_id},
            at=now,
        )
