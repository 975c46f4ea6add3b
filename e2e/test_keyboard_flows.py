"""Every flow with the keyboard alone, in headless Chromium: Tab to a control, keys to choose,
Enter to send. No click anywhere (WCAG 2.1.1)."""

from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from reviews.models import Absence, Assignment, TeamSettings
from reviews.services import week_assign

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def team(team_of_five, monday_ticking):
    builder, agents = team_of_five
    week_assign(team=builder.team)
    lead = get_user_model().objects.create_user("lead@ledgerly.example", email="lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    return builder.team, agents, lead


def tab_to(page, test: str, *, presses: int = 80) -> None:
    """Press Tab until the focused element passes `test` (JavaScript, `el` is the element)."""
    page.locator("body").focus()
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({test}); }})()"):
            return
    raise AssertionError(f"Tab never reached an element where {test}")


def test_a_lead_changes_the_team_settings_with_the_keyboard(page, team):
    squad, _, lead = team
    sign_in(page, lead.email)
    page.goto(f"/teams/{squad.pk}/settings/")

    tab_to(page, "el.name === 'reviews_per_week'")
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/teams/{squad.pk}/week/")

    assert "Saved." in page.locator(".flash-success").inner_text()
    assert TeamSettings.objects.get(team=squad).reviews_per_week == 3


def test_a_lead_marks_a_teammate_away_with_the_keyboard(page, team):
    squad, agents, lead = team
    sign_in(page, lead.email)
    page.goto(f"/teams/{squad.pk}/people/")

    tab_to(page, "el.name === 'agent'")
    page.keyboard.press("ArrowDown")  # the first teammate by name: Ana
    tab_to(page, "el.name === 'starts_on'")
    page.keyboard.type("12072026")  # Chromium's date field, month day year
    tab_to(page, "el.name === 'ends_on'")
    page.keyboard.type("12112026")
    page.keyboard.press("Enter")
    page.wait_for_load_state()

    assert "is away Mon 7 Dec to Fri 11 Dec" in page.locator(".flash-success").inner_text()
    absence = Absence.objects.get()
    assert (absence.agent, absence.starts_on, absence.ends_on) == (agents[0], date(2026, 12, 7), date(2026, 12, 11))


def test_a_lead_downloads_one_agents_reviews_with_the_keyboard(page, team):
    squad, _, lead = team
    sign_in(page, lead.email)
    page.goto(f"/teams/{squad.pk}/export/")

    tab_to(page, "el.name === 'agent'")
    page.keyboard.press("ArrowDown")  # Ana
    tab_to(page, "el.textContent.includes('Download completion')")
    with page.expect_download() as download:
        page.keyboard.press("Enter")

    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("team,week,agent,")
    assert len(lines) == 2 and ",Ana," in lines[1]


def test_an_agent_hands_a_conversation_back_with_the_keyboard(page, team):
    _, agents, _ = team
    ana = agents[0]
    sign_in(page, ana.user.email)
    page.goto("/week/")

    tab_to(page, "el.tagName === 'SUMMARY'")
    page.keyboard.press("Enter")  # opens the compact hand-back control
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "reason"
    page.keyboard.press("ArrowDown")  # Wrong language
    assert page.evaluate("document.activeElement.value") == "wrong_language"
    page.keyboard.press("Tab")
    page.keyboard.type("Written in Finnish")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "Handed back" in page.locator(".flash-success").inner_text()

    handed_back = Assignment.objects.get(reviewer=ana, status=Assignment.Status.SKIPPED)
    assert (handed_back.skip_reason, handed_back.skip_note) == ("wrong_language", "Written in Finnish")
