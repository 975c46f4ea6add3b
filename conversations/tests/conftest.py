from collections.abc import Callable
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
def before_request():
    """`before_request("/conversations/c1", action)`: `action()` runs as the next such request goes out.

    For what happens at the network edge and nowhere else: time passing while the helpdesk
    answers, another worker starting meanwhile, or an error the action raises in its place.
    """
    import requests

    real_request = requests.Session.request
    actions: list[tuple[str, Callable[[], object]]] = []

    def request(session, method, url, *args, **kwargs):
        for index, (fragment, action) in enumerate(actions):
            if fragment in url:
                del actions[index]
                action()
                break
        return real_request(session, method, url, *args, **kwargs)

    def arrange(url_fragment: str, action: Callable[[], object]) -> None:
        actions.append((url_fragment, action))

    with mock.patch.object(requests.Session, "request", request):
        yield arrange


@pytest.fixture
def transport_raises(before_request):
    """`transport_raises("/conversations/c1", error)`: the next such request raises `error` instead of going out.

    What nothing in the connectors expects (a Celery time limit firing mid-request, a bug in a
    library) happens at the network edge, so that is the one place this replaces.
    """

    def arrange(url_fragment: str, error: BaseException) -> None:
        def fail() -> None:
            raise error

        before_request(url_fragment, fail)

    return arrange
