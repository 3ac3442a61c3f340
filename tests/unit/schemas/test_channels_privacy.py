"""A tip-off does not ask for the reporter's contact: nothing would keep it safe (issue 12, item 5)."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from consumers.web.forms import FORMS
from schemas.channels import TipOff

TIP = {"subject_name": "李四", "township_code": "340403001", "content": "有车有房仍领低保"}


def test_the_api_refuses_a_reporter_contact_and_the_form_does_not_ask():
    assert TipOff(**TIP).content
    with pytest.raises(ValidationError, match="reporter_contact"):
        TipOff(**TIP, reporter_contact="13900000000")
    assert "reporter_contact" not in [i.name for i in FORMS["tip_off"].inputs]
