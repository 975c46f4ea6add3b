import pytest

from conversations.tests.fake_zendesk import EMAIL, SUBDOMAIN, TOKEN, FakeZendesk


@pytest.fixture
def fake_zendesk():
    with FakeZendesk() as server:
        yield server


@pytest.fixture
def zendesk_client(fake_zendesk):
    """A client pointed at the local fake, with short timeouts and backoff."""
    from conversations.helpdesks.zendesk import ZendeskClient

    def make(**options):
        credentials = {"email": options.pop("email", EMAIL), "api_token": options.pop("api_token", TOKEN)}
        settings = {"timeout": 0.5, "max_retries": 3, "backoff_base": 0.01, "page_size": 2, "concurrency": 2}
        settings.update(options)
        return ZendeskClient(subdomain=SUBDOMAIN, api_base=fake_zendesk.url, **credentials, **settings)

    return make
