"""Helpdesk HTML: only a safe subset is stored, and its words are read without a second parse."""

import html
import re

import nh3
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations.sanitize import _BLOCK_END, html_to_text, sanitise_html

pieces = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<b>",
        "</b>",
        "<br>",
        "<li>",
        "<a href='https://x.example/?a=1&b=2' title='a>b'>",
        "</a>",
        "<script>",
        "</script>",
        "<!-- c -->",
        "&lt;",
        "&amp;",
        ">",
        "<",
        '"',
        "'",
        "\n",
        " ",
        "word",
        "é",
        "<img src=x>",
        '<div title="q&quot;>">',
        "</div>",
        "<table><tr><td>",
        "</td></tr></table>",
    ]
)


def _reference(clean: str) -> str:
    """The words as a second nh3 parse with no tags allowed finds them (what html_to_text did before)."""
    text = html.unescape(nh3.clean(_BLOCK_END.sub("\n", clean), tags=set()))
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.splitlines())
    return re.sub(r"\n\s*\n+", "\n", "\n".join(lines)).strip()


@settings(max_examples=300)
@given(st.lists(pieces, max_size=30).map("".join))
def test_the_words_of_sanitised_html_are_what_a_full_parse_finds(body):
    clean = sanitise_html(body)

    assert html_to_text(clean) == _reference(clean)


def test_scripts_and_unsafe_links_are_removed_and_text_keeps_its_breaks():
    clean = sanitise_html(
        '<p onclick="x()">Hi <a href="javascript:alert(1)">there</a></p><script>bad()</script><p>2 &lt; 3</p>'
    )

    assert "onclick" not in clean and "javascript:" not in clean and "script" not in clean
    assert html_to_text(clean) == "Hi there\n2 < 3"
