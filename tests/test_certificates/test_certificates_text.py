"""The text engine: bidi levels, visual order, shaping robustness."""

from __future__ import annotations

import unicodedata

import pytest
from certhelpers import birth, issue
from hypothesis import given, settings
from hypothesis import strategies as st

from certificates import InvalidCertificateData, RenderOptions, Signer, render_birth_certificate
from certificates.render import engine_for
from certificates.text import base_level, bidi_levels, clean_text, visual_order

ALPHABET = "abcXYZ محمدعلي0123456789 .,-/()%+:" + "\u0660\u0661\u06f1"
SCRIPTS = "aZé Жω שלום ไทย ع م \u1200 \u1208 क ष ् ক ্ 王 明 1 2 .-()\u200c\u200d"


def test_levels_of_a_mixed_line() -> None:
    """It gives Arabic odd levels and numbers inside Arabic the next even level."""
    text = "abc محمد 123 علي."
    assert bidi_levels(text, base_level(text)) == [0] * 4 + [1] * 5 + [2] * 3 + [1] * 4 + [0]


def test_right_to_left_paragraph() -> None:
    """It starts a line with an Arabic letter right to left and keeps Latin inside it at 2."""
    text = "علي abc"
    assert base_level(text) == 1
    assert bidi_levels(text, 1) == [1, 1, 1, 1, 2, 2, 2]
    assert visual_order([1, 1, 1, 1, 2, 2, 2]) == [4, 5, 6, 3, 2, 1, 0]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=30))
def test_levels_match_python_bidi(text: str) -> None:
    """It resolves the same levels as python-bidi's reference implementation."""
    algorithm = pytest.importorskip("bidi.algorithm")
    base = base_level(text)
    storage = algorithm.get_empty_storage()
    storage["base_level"] = base
    storage["base_dir"] = "LR"[base]
    algorithm.get_embedding_levels(text, storage)
    algorithm.explicit_embed_and_overrides(storage)
    algorithm.resolve_weak_types(storage)
    algorithm.resolve_neutral_types(storage, False)
    algorithm.resolve_implicit_levels(storage, False)
    expected = [char["level"] for char in storage["chars"]]
    # python-bidi applies rule L1 (trailing whitespace) only when reordering; do it here too.
    for i in range(len(text) - 1, -1, -1):
        if text[i] != " ":
            break
        expected[i] = base
    assert bidi_levels(text, base) == expected


@given(st.lists(st.integers(0, 4), max_size=20))
def test_visual_order_is_a_permutation(levels: list[int]) -> None:
    """It reorders without losing or repeating an item."""
    assert sorted(visual_order(levels)) == list(range(len(levels)))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=SCRIPTS, max_size=25))
def test_any_mix_of_scripts_shapes_with_real_glyphs(text: str) -> None:
    """It shapes any mix of the supported scripts without a missing glyph."""
    engine = engine_for(RenderOptions().font_dirs)
    for bold in (False, True):
        line = engine.shape(clean_text(text), bold)
        assert not line.missing, text
        assert line.width >= 0


@settings(max_examples=15, deadline=None)
@given(st.text(max_size=60))
def test_any_text_renders_or_is_refused_cleanly(signer: Signer, text: str) -> None:
    """It renders arbitrary Unicode in a name, or refuses it with InvalidCertificateData."""
    try:
        pdf = render_birth_certificate(birth(text, place_of_birth=text), issue(), signer)
    except InvalidCertificateData:
        return
    assert pdf.startswith(b"%PDF-")


def test_controls_are_dropped_and_long_text_refused(signer: Signer) -> None:
    """It drops control characters and refuses, naming the field in words, a value longer than
    1000 characters (five times the longest name the registry accepts)."""
    assert clean_text("a\x00b\n\tc\u200d") == "ab c\u200d"
    with pytest.raises(InvalidCertificateData, match=r"^Name of child is longer than 1000"):
        render_birth_certificate(birth("x" * 1001), issue(), signer)
    with pytest.raises(InvalidCertificateData, match=r"^The registrar's name is longer than 1000"):
        render_birth_certificate(birth(), issue(registrar_name="y" * 1001), signer)
    with pytest.raises(InvalidCertificateData, match="not valid Unicode"):
        render_birth_certificate(birth("bad \ud800 surrogate"), issue(), signer)


@settings(max_examples=60, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(["a", "W", "e\u0301", "o\u0308\u0301", " ", "王", "क्ष", "محمد", "ለ", "1"]),
        min_size=1,
        max_size=300,
    ).map("".join),
    width=st.floats(min_value=40, max_value=500),
    size=st.floats(min_value=7, max_value=16),
)
def test_fitted_lines_keep_every_character_and_fit_their_box(
    text: str, width: float, size: float
) -> None:
    """It wraps any text into lines no wider than the box, at no less than 7 pt, losing no
    character and never starting a line with a combining mark cut from its letter."""
    engine = engine_for(RenderOptions().font_dirs)
    chosen, lines = engine.fit(text, size, width, min_size=7.0)
    assert 7.0 <= chosen <= size
    assert "".join("".join(lines).split()) == "".join(clean_text(text).split())
    for line in lines:
        assert engine.width(line, chosen) <= width + 1e-6 or len(clean_text(line)) <= 2
        if line:
            assert not unicodedata.combining(line[0]), f"a mark cut from its letter: {line!r}"
