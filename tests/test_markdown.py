"""Markdown in content becomes sanitised HTML; a plain sentence is passed through without the
converter (`credsite.website.render.markdown_html`), with the same result."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credsite.website.render import _PLAIN_SENTENCE, converted_markdown, markdown_html

# Letters of several scripts, digits, spaces, the punctuation a plain sentence may hold, and what
# marks Markdown up or is escaped (so that the fast path's refusals are exercised too), alone and
# in the pieces of markup it takes.
PLAIN = "aZéßжλعא漢 0 9 ,.;:'?!%/()\"«»‘’“”-"
MARKUP = "*_`[]<>&\\#+=|~\n\t\u00a01."
PIECES = [*PLAIN, *MARKUP, "word", " *b* ", "**b**", "_b_", "`c`", "[a](b)", "<b>", "&amp;",
          "  \n", "\n\n", "\n1. ", "\n- ", "\n# ", "\n> ", "\n    ", "\n===", "<https://a.b>"]  # fmt: skip
text = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)
plain = st.text(alphabet=st.sampled_from(list(PLAIN)), max_size=40)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(text, text.map(lambda t: "a" + t), plain, plain.map(lambda t: "a" + t)))
def test_every_text_as_the_converter_makes_it(value: str) -> None:
    assert markdown_html.__wrapped__(value) == (converted_markdown(value) if value else "")


@pytest.mark.parametrize(
    "sentence",
    [
        "Led workshop 0 and mentored 6 participants.",
        "Mentored 3 incoming students (spring term); 2 of them finished - well done!",
        "Animé l'atelier «communs» à Genève: 12 participants.",
        'Wrote the "Getting started" guide, 40% of the handbook/FAQ.',
    ],
)
def test_a_plain_sentence_is_not_converted(sentence: str) -> None:
    assert _PLAIN_SENTENCE.fullmatch(sentence)
    assert markdown_html(sentence) == f"<p>{sentence}</p>" == converted_markdown(sentence)


@pytest.mark.parametrize(
    "marked",
    ["1. First", "Two  \nlines", "# Title", "a *b*", "a_b_c", "x <b>y</b>", "a & b", "tab\there",
     "    indented", "- item", "line\nnext", "[a](https://example.org)"],
)  # fmt: skip
def test_markup_goes_through_the_converter(marked: str) -> None:
    assert not _PLAIN_SENTENCE.fullmatch(marked)
    assert markdown_html(marked) == converted_markdown(marked)
