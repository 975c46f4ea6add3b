"""LongSelect, the fast <select> for long lists, says what Django's own Select says."""

import re

from django import forms

from reviews.forms import LongSelect

CHOICES = [("", "Every agent"), (1, "Ana <Ops> & Co"), (2, 'Ben "B"'), (3, "Cleo")]


def _options(html: str) -> list[tuple[str, bool, str]]:
    return [
        (value, bool(selected), label.strip())
        for value, selected, label in re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', html)
    ]


def test_it_renders_the_same_options_selection_and_attributes_as_djangos_select():
    attrs = {"id": "id_agent", "required": True}

    ours = LongSelect(choices=CHOICES).render("agent", 2, attrs=attrs)
    django = forms.Select(choices=CHOICES).render("agent", 2, attrs=attrs)

    assert _options(ours) == _options(django)
    assert ("2", True, "Ben &quot;B&quot;") in _options(ours)
    assert "Ana &lt;Ops&gt; &amp; Co" in ours
    attributes = re.match(r"<select([^>]*)>", ours).group(1).split()
    assert sorted(attributes) == sorted(re.match(r"<select([^>]*)>", django).group(1).split())


def test_without_a_value_the_empty_choice_is_selected_as_django_does():
    ours = _options(LongSelect(choices=CHOICES).render("agent", None))

    assert ours == _options(forms.Select(choices=CHOICES).render("agent", None))
    assert [selected for _, selected, _ in ours] == [True, False, False, False]
