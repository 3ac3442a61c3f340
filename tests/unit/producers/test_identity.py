"""ID numbers: normalisation, the MOD 11-2 check digit, masking, pseudonyms and tokens."""
from __future__ import annotations

import hashlib
import hmac
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from producers.identity import InvalidIdNumber, Pseudonymizer, check_char, mask, normalise_id, validate

KNOWN = "11010519491231002X"  # the textbook example of GB 11643


def make_id(county: str = "340403", born: date = date(1980, 5, 17), seq: int = 123) -> str:
    first17 = f"{county}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


ids = st.builds(
    make_id,
    county=st.sampled_from(["340403", "340404", "340405", "110105"]),
    born=st.dates(min_value=date(1900, 1, 1), max_value=date.today()),
    seq=st.integers(0, 999),
)


def test_known_id_is_valid():
    assert validate(KNOWN) == KNOWN
    assert check_char(KNOWN[:17]) == "X"


@given(ids)
def test_generated_ids_pass(id_number):
    assert validate(id_number) == id_number


@given(ids, st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_fails(id_number, position, delta):
    changed = id_number[:position] + str((int(id_number[position]) + delta) % 10) + id_number[position + 1:]
    with pytest.raises(InvalidIdNumber):
        validate(changed)


@given(ids, st.integers(1, 10))
def test_wrong_check_char_fails(id_number, delta):
    chars = "0123456789X"
    wrong = chars[(chars.index(id_number[-1]) + delta) % 11]
    with pytest.raises(InvalidIdNumber, match="check digit"):
        validate(id_number[:17] + wrong)


@given(st.text(alphabet="0123456789０１２３４５６７８９xXｘ \u3000", max_size=30))
def test_normalisation_is_idempotent(raw):
    once = normalise_id(raw)
    assert normalise_id(once) == once


@given(ids)
def test_full_width_spaces_and_lowercase_normalise(id_number):
    messy = " " + id_number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}).replace("X", "x") + "\u3000"
    assert validate(messy) == id_number


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "missing"),
        ("3404031980051712", "18 characters"),
        ("34040319800517123A", "17 digits"),
        ("340403" + "19800230" + "1234", "real date"),
        (make_id(born=date.today() + timedelta(days=1)), "out of range"),
    ],
)
def test_reasons_are_clear_and_never_echo_the_number(raw, reason):
    with pytest.raises(InvalidIdNumber, match=reason) as info:
        validate(raw)
    if raw:
        assert raw not in str(info.value)


def test_mask_keeps_first_six_and_last_four():
    assert mask(KNOWN) == "110105********002X"


def test_pseudonym_is_keyed_hmac():
    a, b = Pseudonymizer("one"), Pseudonymizer("two")
    assert len(a.key(KNOWN)) == 64 and int(a.key(KNOWN), 16) >= 0
    assert a.key(KNOWN) == Pseudonymizer("one").key(KNOWN)
    assert a.key(KNOWN) != b.key(KNOWN)
    assert a.key(KNOWN) == hmac.new(b"one", KNOWN.encode(), hashlib.sha256).hexdigest()  # other services compute it too


@given(ids)
def test_tokenise_hides_embedded_ids(id_number):
    keys = Pseudonymizer("s")
    for text in (id_number + "21", "G" + id_number, f"A-{id_number}-B"):
        token = keys.tokenise(text)
        assert id_number not in token
        assert keys.tokenise(text) == token  # deterministic: natural keys stay stable
    assert keys.tokenise("G" + id_number) == "G" + keys.token(id_number)


def test_tokenise_leaves_ordinary_identifiers_alone():
    keys = Pseudonymizer("s")
    for text in ("JS2025010100000001", "HH3404030010000012", "HH202500000031", ""):
        assert keys.tokenise(text) == text


def test_reference_is_keyed_and_ignores_how_the_identifier_was_typed():
    keys, other = Pseudonymizer("s"), Pseudonymizer("t")
    plate = keys.reference("皖D12345")
    assert plate.startswith("R") and len(plate) == 17 and "12345" not in plate
    for typed in ("皖d12345", " 皖D·12345 ", "皖Ｄ１２３４５", "皖D-12345", '="皖D12345"'):
        assert keys.reference(typed) == plate
    assert keys.reference("皖D12346") != plate and other.reference("皖D12345") != plate
    assert keys.reference("340403001001GB00001F00010001") != keys.token("340403001001GB00001F00010001")


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_char_is_the_weighted_sum_of_gb11643(first17):
    from producers.identity import CHECK_CHARS, WEIGHTS

    assert check_char(first17) == CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


@pytest.mark.parametrize("cell", ["１１０１０５１９４９１２３１００２Ｘ", "11010519491231002x", " 11010519491231002X ", "'11010519491231002X"])
def test_cells_that_need_normalising_still_validate(cell):
    assert validate(cell) == "11010519491231002X"
