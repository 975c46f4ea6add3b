"""Teammates from the helpdesk: their team, their email, and the Carousel account they sign in with."""

import pytest
from django.contrib.auth import get_user_model

from conversations.models import Agent, Team
from conversations.services import conversations_sync
from conversations.tests import fake_intercom as fake

pytestmark = pytest.mark.django_db


@pytest.fixture
def helpdesk(fake_intercom):
    fake_intercom.teams = [fake.team("700", "Billing"), fake.team("701", "Tier 2"), fake.team("702", "Refunds")]
    return fake_intercom


def teammates(fake_intercom, intercom_client, *admins):
    fake_intercom.admins = list(admins)
    conversations_sync(source="intercom", helpdesk=intercom_client())
    return {agent.external_id: agent for agent in Agent.objects.filter(source="intercom")}


def user(email):
    return get_user_model().objects.create_user(email, email=email, password="pw-for-tests")


def test_a_teammate_in_several_teams_keeps_the_one_a_lead_chose_while_the_helpdesk_lists_it(helpdesk, intercom_client):
    maya = fake.admin("101", "Maya Patel", "maya@ledgerly.example", team_ids=[700, 701])
    assert teammates(helpdesk, intercom_client, maya)["101"].team.name == "Billing"
    Agent.objects.filter(external_id="101").update(team=Team.objects.get(external_id="701"))

    assert teammates(helpdesk, intercom_client, maya)["101"].team.name == "Tier 2"

    moved = fake.admin("101", "Maya Patel", "maya@ledgerly.example", team_ids=[702, 700])
    assert teammates(helpdesk, intercom_client, moved)["101"].team.name == "Refunds"


def test_a_teammate_the_helpdesk_puts_in_no_team_keeps_the_team_they_had(helpdesk, intercom_client):
    teammates(helpdesk, intercom_client, fake.admin("101", "Maya Patel", "maya@ledgerly.example", team_ids=[701]))

    again = teammates(helpdesk, intercom_client, fake.admin("101", "Maya Patel", "maya@ledgerly.example"))

    assert again["101"].team.name == "Tier 2"


def test_an_email_is_kept_up_to_the_254_characters_an_address_can_have(helpdesk, intercom_client):
    longest = "m" * (254 - len("@ledgerly.example")) + "@ledgerly.example"

    stored = teammates(
        helpdesk,
        intercom_client,
        fake.admin("101", "Maya Patel", longest),
        fake.admin("102", "John Smith", "j" + longest),
    )

    assert (stored["101"].email, stored["102"].email) == (longest, "")
    assert stored["102"].name == "John Smith"


def test_a_teammate_is_linked_to_the_account_with_their_email_in_any_case(helpdesk, intercom_client):
    account = user("Maya@Ledgerly.example")

    stored = teammates(helpdesk, intercom_client, fake.admin("101", "Maya Patel", "maya@LEDGERLY.example"))

    assert stored["101"].user == account


def test_a_teammate_without_an_email_is_not_linked_to_an_account_without_one(helpdesk, intercom_client):
    # An account made with createsuperuser often has no email; it is nobody's teammate account.
    get_user_model().objects.create_user("ops", password="pw-for-tests")

    stored = teammates(helpdesk, intercom_client, fake.admin("101", "Maya Patel", ""))

    assert stored["101"].user is None


def test_an_account_already_linked_to_a_teammate_is_not_linked_to_a_second(helpdesk, intercom_client, agent_user):
    # agent_user is Maya, a teammate from the file import; Intercom has a Maya with the same email.
    stored = teammates(helpdesk, intercom_client, fake.admin("101", "Maya Patel", agent_user.email))

    assert stored["101"].user is None
    assert Agent.objects.get(source="file").user == agent_user


def test_two_teammates_with_one_email_link_only_the_first_to_the_account(helpdesk, intercom_client):
    account = user("maya@ledgerly.example")

    stored = teammates(
        helpdesk,
        intercom_client,
        fake.admin("101", "Maya Patel", "maya@ledgerly.example"),
        fake.admin("102", "Maya (old account)", "maya@ledgerly.example"),
    )

    assert (stored["101"].user, stored["102"].user) == (account, None)


def test_a_linked_teammate_keeps_their_account_when_another_with_their_email_appears(helpdesk, intercom_client):
    first = user("maya@ledgerly.example")
    teammates(helpdesk, intercom_client, fake.admin("101", "Maya Patel", "maya@ledgerly.example"))
    user("MAYA@ledgerly.example")

    stored = teammates(helpdesk, intercom_client, fake.admin("101", "Maya Patel", "maya@ledgerly.example"))

    assert stored["101"].user == first


def test_a_team_renamed_in_the_helpdesk_is_renamed_and_keeps_its_leads(helpdesk, intercom_client, billing_lead):
    teammates(helpdesk, intercom_client)
    billing = Team.objects.get(source="intercom", external_id="700")
    billing.leads.add(billing_lead)
    helpdesk.teams[0] = fake.team("700", "Billing & Refunds")

    teammates(helpdesk, intercom_client)

    billing.refresh_from_db()
    assert billing.name == "Billing & Refunds"
    assert list(billing.leads.all()) == [billing_lead]
    assert Team.objects.filter(source="intercom").count() == 3
