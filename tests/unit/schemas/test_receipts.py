"""The citizen's receipt number and the status it answers."""
from datetime import UTC, datetime, timedelta

import pytest

from schemas.cases import Case, CaseState
from schemas.receipts import normalize, progress, receipt_no

pytestmark = pytest.mark.unit


def test_a_short_grouped_number_without_look_alikes():
    numbers = {receipt_no(f"{i:064x}") for i in range(2000)}
    assert len(numbers) == 2000
    for number in list(numbers)[:200]:
        assert len(number) == 11 and number[5] == "-"
        assert not set(number) & set("01OI")
    assert receipt_no("ab" * 32) == receipt_no("ab" * 32)


def test_case_spaces_and_dashes_do_not_matter():
    number = receipt_no("cd" * 32)
    assert normalize(number.lower().replace("-", " ")) == number.replace("-", "")
    assert normalize("O0O0O-1I1I1") is None and normalize("") is None and normalize("ABC") is None


def test_status_in_words_with_date_next_step_and_deadline():
    t0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
    case = Case(case_id="C", kind="application", category="channel", source_id="r", opened_at=t0,
                sla_due=t0 + timedelta(days=14), state=CaseState.open)
    told = progress(case)
    assert (told.stage, told.expected_by) == ("已受理，等待社工接案", (t0 + timedelta(days=14)).date())
    assert progress(None).stage == "已收到，正在登记"
    done = progress(case.model_copy(update={"state": CaseState.resolved, "resolution": "assistance_granted"}))
    assert done.stage == "已作出处理决定：给予救助" and done.expected_by is None
