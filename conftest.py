import pytest

from conversations.tests.fake_intercom import TOKEN, FakeIntercom


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
