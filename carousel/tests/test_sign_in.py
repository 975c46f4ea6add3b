"""Sign-in throttling: per account and address, reset on success, unlocked by a lead."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.urls import reverse

from conversations.models import Agent

pytestmark = pytest.mark.django_db

PAUSED = "Too many wrong passwords for this account from this device."
HOME = "198.51.100.7"
OFFICE = "203.0.113.9"


@pytest.fixture(autouse=True)
def three_attempts(settings):
    settings.AXES_FAILURE_LIMIT = 3


@pytest.fixture
def ana(billing):
    user = get_user_model().objects.create_user("ana", email="Ana@Ledgerly.example", password="right-one")
    Agent.objects.create(source="file", external_id="ana", name="Ana Lima", email=user.email, team=billing, user=user)
    return user


def sign_in(client, password, *, email="ana@ledgerly.example", address=HOME):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address)


def test_wrong_passwords_pause_that_account_on_that_device_even_for_the_right_password(client, ana):
    statuses = [sign_in(client, "wrong").status_code for _ in range(3)]

    response = sign_in(client, "right-one")

    # The third wrong password is the one that pauses the account.
    assert statuses == [200, 200, 429]
    assert response.status_code == 429
    page = response.content.decode()
    assert PAUSED in page
    assert "ask your team lead to unlock" in page
    # The form keeps the email that was typed.
    assert 'value="ana@ledgerly.example"' in page
    assert "_auth_user_id" not in client.session


def test_a_stranger_guessing_cannot_lock_the_owner_out_on_their_own_device(client, ana):
    for _ in range(5):
        sign_in(client, "guess", address=OFFICE)

    assert sign_in(client, "right-one", address=HOME).status_code == 302


def test_the_email_counts_however_it_is_typed(client, ana):
    for email in ("ANA@ledgerly.example", " ana@LEDGERLY.example", "ana@ledgerly.example"):
        sign_in(client, "wrong", email=email)

    assert sign_in(client, "right-one").status_code == 429


def test_a_successful_sign_in_starts_the_count_again(client, ana):
    for _ in range(2):
        sign_in(client, "wrong")
    assert sign_in(client, "right-one").status_code == 302
    client.logout()
    for _ in range(2):
        sign_in(client, "wrong")

    assert sign_in(client, "right-one").status_code == 302


def test_behind_the_proxy_each_visitor_is_counted_by_their_own_address(client, ana, settings):
    settings.BEHIND_TLS_PROXY = True
    for _ in range(3):
        client.post(
            reverse("login"),
            {"username": "ana@ledgerly.example", "password": "guess"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.1, {HOME}",
        )

    blocked = client.post(
        reverse("login"), {"username": "ana@ledgerly.example", "password": "right-one"}, HTTP_X_FORWARDED_FOR=HOME
    )
    elsewhere = client.post(
        reverse("login"), {"username": "ana@ledgerly.example", "password": "right-one"}, HTTP_X_FORWARDED_FOR=OFFICE
    )

    assert blocked.status_code == 429
    assert elsewhere.status_code == 302


def test_the_lead_sees_the_paused_teammate_and_unlocks_them(client, ana, billing, billing_lead):
    for _ in range(3):
        sign_in(client, "wrong")
    client.force_login(billing_lead)

    page = client.get(reverse("reviews:team_week", args=[billing.pk])).content.decode()
    assert "Paused sign-ins" in page
    assert "Ana Lima (Ana@ledgerly.example)" in page

    response = client.post(reverse("reviews:sign_in_unlock", args=[billing.pk]), {"user_id": ana.pk})

    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert "Paused sign-ins" not in client.get(reverse("reviews:team_week", args=[billing.pk])).content.decode()
    client.logout()
    assert sign_in(client, "right-one").status_code == 302


def test_a_lead_of_another_team_cannot_unlock_and_the_pause_stays(client, ana, billing, product, product_lead):
    for _ in range(3):
        sign_in(client, "wrong")
    client.force_login(product_lead)

    elsewhere = client.post(reverse("reviews:sign_in_unlock", args=[billing.pk]), {"user_id": ana.pk})
    own_team = client.post(reverse("reviews:sign_in_unlock", args=[product.pk]), {"user_id": ana.pk})

    assert (elsewhere.status_code, own_team.status_code) == (404, 404)
    assert AccessAttempt.objects.get().failures_since_start == 3


def test_an_agent_cannot_unlock_a_teammate(client, ana, billing, agent_user):
    for _ in range(3):
        sign_in(client, "wrong")
    client.force_login(agent_user)

    response = client.post(reverse("reviews:sign_in_unlock", args=[billing.pk]), {"user_id": ana.pk})

    assert response.status_code == 404
    assert AccessAttempt.objects.get().failures_since_start == 3


def test_unlocking_is_a_post(client, ana, billing, billing_lead):
    client.force_login(billing_lead)

    assert client.get(reverse("reviews:sign_in_unlock", args=[billing.pk])).status_code == 405


def test_look_alike_spellings_of_the_email_count_as_the_same_account(client, ana):
    # Django's sign-in form reads "ａna" (full-width a) as "ana": so must the count.
    for email in ("\uff41na@ledgerly.example", "ANA@ledgerly.example", "ana@ledgerly.example"):
        sign_in(client, "wrong", email=email)

    assert sign_in(client, "right-one", email="\uff41na@ledgerly.example").status_code == 429


def test_the_lead_sees_a_pause_counted_across_two_browsers(client, ana, billing, billing_lead):
    for agent in ("Firefox", "Firefox", "Chrome"):
        client.post(
            reverse("login"),
            {"username": "ana@ledgerly.example", "password": "wrong"},
            REMOTE_ADDR=HOME,
            HTTP_USER_AGENT=agent,
        )
    assert sign_in(client, "right-one").status_code == 429
    client.force_login(billing_lead)

    assert "Paused sign-ins" in client.get(reverse("reviews:team_week", args=[billing.pk])).content.decode()
