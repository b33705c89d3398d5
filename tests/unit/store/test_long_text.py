"""Splitting and clipping long text by UTF-16 code units, as Table Storage counts them (no Azurite)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shared.store.exceptions import fit_text, split_text

# Characters of one and two UTF-16 units, so chunk edges fall inside surrogate pairs too.
TEXT = st.text(alphabet=st.sampled_from(["a", "é", "€", "😀", "𝄞"]), max_size=200)


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@given(TEXT, st.integers(min_value=2, max_value=9))
def test_split_text_round_trips_in_pieces_that_fit(text: str, size: int) -> None:
    pieces = split_text(text, size)
    assert "".join(pieces) == text
    assert all(0 < units(piece) <= size for piece in pieces)


def test_a_surrogate_pair_is_never_cut() -> None:
    # GIVEN "a😀b" is four UTF-16 units with the pair at units 2-3
    # WHEN split in pieces of two / THEN the emoji moves whole to the next piece
    assert split_text("a😀b", 2) == ["a", "😀", "b"]


def test_empty_text_has_no_pieces() -> None:
    assert split_text("", 5) == []


@given(TEXT, st.integers(min_value=20, max_value=60))
def test_fit_text_keeps_what_fits_and_marks_a_cut(text: str, size: int) -> None:
    fitted, cut = fit_text(text, size, marker="…[cut]")
    assert units(fitted) <= size
    if cut:
        assert fitted.endswith("…[cut]")
        assert text.startswith(fitted.removesuffix("…[cut]"))
    else:
        assert fitted == text
    assert cut == (units(text) > size)
