import pytest

from conversations.tests.fake_intercom import TOKEN, FakeIntercom


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing costs ~0.2 s a user; tests make hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def fake_intercom():
    with FakeIntercom() as server:
        yield server


@pytest.fixture
def intercom_client(fake_intercom):
    """A client pointed at the local fake, with short timeouts and backoff."""
    from conversations.helpdesks.intercom import IntercomClient

    def make(**options):
        access_token = options.pop("access_token", TOKEN)
        settings = {"timeout": 0.5, "max_retries": 3, "backoff_base": 0.01, "page_size": 2, "concurrency": 2}
        settings.update(options)
        return IntercomClient(access_token=access_token, api_base=fake_intercom.url, **settings)

    return make


@pytest.fixture
def billing(db):
    from conversations.models import Team

    return Team.objects.create(name="Billing", source="file", external_id="billing")


@pytest.fixture
def product(db):
    from conversations.models import Team

    return Team.objects.create(name="Product", source="file", external_id="product")


def _user(username, **extra):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username, email=username, password="pw-for-tests", **extra)


@pytest.fixture
def agent_user(billing):
    """Maya, an agent in Billing."""
    from conversations.models import Agent

    user = _user("maya@ledgerly.example", first_name="Maya", last_name="Patel")
    Agent.objects.create(
        source="file", external_id="a-maya", name="Maya Patel", email=user.email, team=billing, user=user
    )
    return user


@pytest.fixture
def billing_lead(billing):
    user = _user("lead@ledgerly.example", first_name="Alex", last_name="Rivera")
    billing.leads.add(user)
    return user


@pytest.fixture
def product_lead(product):
    user = _user("plead@ledgerly.example", first_name="Pat", last_name="Lead")
    product.leads.add(user)
    return user


@pytest.fixture
def staff_user(db):
    return _user("admin@ledgerly.example", is_staff=True)
