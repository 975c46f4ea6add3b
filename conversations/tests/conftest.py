from unittest import mock

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


@pytest.fixture
def transport_raises():
    """`transport_raises("/conversations/c1", error)`: the next such request raises `error` instead of going out.

    What nothing in the connectors expects (a Celery time limit firing mid-request, a bug in a
    library) happens at the network edge, so that is the one place this replaces.
    """
    import requests

    real_request = requests.Session.request
    raising: dict[str, BaseException] = {}

    def request(session, method, url, *args, **kwargs):
        for fragment in list(raising):
            if fragment in url:
                raise raising.pop(fragment)
        return real_request(session, method, url, *args, **kwargs)

    def arrange(url_fragment: str, error: BaseException) -> None:
        raising[url_fragment] = error

    with mock.patch.object(requests.Session, "request", request):
        yield arrange
