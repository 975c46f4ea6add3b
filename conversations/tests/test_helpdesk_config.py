"""The helpdesk settings pick and configure the connector a sync reads, as a deployment sets them."""

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conversations.helpdesks.errors import HelpdeskConfigError
from conversations.models import Conversation, SyncRun
from conversations.services import conversations_sync, helpdesk_for_source
from conversations.tests import fake_intercom as intercom
from conversations.tests import fake_zendesk as zendesk
from conversations.tests.test_import_file import conversation, document, write

pytestmark = pytest.mark.django_db

BASE = int(datetime(2026, 11, 20, 9, 0, tzinfo=UTC).timestamp())
FIXTURES = Path(__file__).parent / "fixtures" / "files"


@pytest.fixture
def fake_intercom_configured(fake_intercom, settings):
    settings.INTERCOM_API_BASE, settings.INTERCOM_ACCESS_TOKEN = fake_intercom.url, intercom.TOKEN
    fake_intercom.admins = [intercom.admin("101", "Maya Patel", "maya@ledgerly.example")]
    fake_intercom.put(intercom.reviewable_conversation("c0", updated_at=BASE, admin_id="101"))
    return fake_intercom


@pytest.fixture
def fake_zendesk_configured(fake_zendesk, settings):
    settings.ZENDESK_SUBDOMAIN, settings.ZENDESK_API_BASE = zendesk.SUBDOMAIN, fake_zendesk.url
    settings.ZENDESK_EMAIL, settings.ZENDESK_API_TOKEN = zendesk.EMAIL, zendesk.TOKEN
    fake_zendesk.put(*zendesk.reviewable_ticket(77, updated_at=BASE, assignee_id=1))
    return fake_zendesk


def failed_with(source: str) -> str:
    run = conversations_sync(source=source)
    assert run.status == SyncRun.Status.FAILED
    return run.error_text


def test_intercom_is_read_with_the_configured_token_api_base_and_version(fake_intercom_configured, settings):
    settings.INTERCOM_API_VERSION = "2.14"

    run = conversations_sync(source="intercom")

    assert (run.status, run.created) == (SyncRun.Status.SUCCEEDED, 1)
    assert set(fake_intercom_configured.api_versions) == {"2.14"}
    assert Conversation.objects.get().url == (
        "https://app.intercom.com/a/inbox/this_is_an_id1_that_should_be_at_least_40/inbox/conversation/c0"
    )


def test_the_shared_timeout_and_retry_settings_apply_to_the_helpdesk(fake_intercom_configured, settings):
    settings.HELPDESK_TIMEOUT_SECONDS, settings.HELPDESK_MAX_RETRIES = 0.2, 1
    fake_intercom_configured.hang_seconds = 0.5
    fake_intercom_configured.fail("GET", "/me", "timeout", times=2)

    assert failed_with("intercom") == (
        f"Intercom did not answer properly (ReadTimeout after 0.2s) after 1 retries "
        f"of GET {fake_intercom_configured.url}/me."
    )
    assert fake_intercom_configured.count("GET", "/me") == 2


def test_the_shared_timeout_and_retry_settings_apply_to_zendesk_too(fake_zendesk_configured, settings):
    settings.HELPDESK_TIMEOUT_SECONDS, settings.HELPDESK_MAX_RETRIES = 0.2, 1
    fake_zendesk_configured.hang_seconds = 0.5
    fake_zendesk_configured.fail("/api/v2/users/me.json", "timeout", times=2)

    assert failed_with("zendesk") == (
        f"Zendesk did not answer properly (ReadTimeout after 0.2s) after 1 retries "
        f"of GET {fake_zendesk_configured.url}/api/v2/users/me.json."
    )
    assert fake_zendesk_configured.count("/api/v2/users/me.json") == 2


def test_an_intercom_token_without_its_setting_fails_the_run_and_says_what_to_set(fake_intercom, settings):
    settings.INTERCOM_ACCESS_TOKEN = ""

    assert failed_with("intercom") == "INTERCOM_ACCESS_TOKEN is not set, so Carousel cannot read Intercom."


def test_a_token_saved_with_a_line_break_at_its_end_still_reads_intercom(fake_intercom_configured, settings):
    # A secret mounted from a file, or pasted from a terminal, often ends in one.
    settings.INTERCOM_ACCESS_TOKEN = f"{intercom.TOKEN}\n"

    assert conversations_sync(source="intercom").status == SyncRun.Status.SUCCEEDED


@pytest.mark.parametrize("between", ["\n", " "], ids=["line-break", "space"])
def test_a_token_with_a_break_inside_fails_the_run_without_showing_the_token(fake_intercom, settings, between):
    settings.INTERCOM_ACCESS_TOKEN = f"first-half-of-the-secret{between}second-half"

    message = failed_with("intercom")

    assert message == "INTERCOM_ACCESS_TOKEN has a space or a line break inside it; set it again without one."
    assert "first-half" not in message
    assert fake_intercom.log == []


def test_zendesk_is_read_through_its_api_base_and_links_open_its_web_app(fake_zendesk_configured):
    run = conversations_sync(source="zendesk")

    assert (run.status, run.created) == (SyncRun.Status.SUCCEEDED, 1)
    # Agents open tickets on their Zendesk, not on the proxy or the test server the API is read through.
    assert Conversation.objects.get().url == "https://ledgerly.zendesk.com/agent/tickets/77"


def test_zendesk_without_a_subdomain_links_to_tickets_on_the_api_base(fake_zendesk_configured, settings):
    settings.ZENDESK_SUBDOMAIN = ""

    assert conversations_sync(source="zendesk").status == SyncRun.Status.SUCCEEDED
    assert Conversation.objects.get().url == f"{fake_zendesk_configured.url}/agent/tickets/77"


def test_zendesk_credentials_saved_with_line_breaks_at_their_end_still_read_zendesk(fake_zendesk_configured, settings):
    settings.ZENDESK_EMAIL, settings.ZENDESK_API_TOKEN = f"{zendesk.EMAIL}\n", f"{zendesk.TOKEN}\r\n"

    assert conversations_sync(source="zendesk").status == SyncRun.Status.SUCCEEDED


@pytest.mark.parametrize(
    "unset",
    [("ZENDESK_EMAIL",), ("ZENDESK_API_TOKEN",), ("ZENDESK_SUBDOMAIN", "ZENDESK_API_BASE")],
    ids=["email", "token", "subdomain-and-api-base"],
)
def test_zendesk_without_one_of_its_settings_fails_the_run_and_says_what_to_set(
    fake_zendesk_configured, settings, unset
):
    for name in unset:
        setattr(settings, name, "")

    assert failed_with("zendesk") == (
        "ZENDESK_SUBDOMAIN, ZENDESK_EMAIL and ZENDESK_API_TOKEN must all be set to read Zendesk."
    )
    assert fake_zendesk_configured.log == []


def test_file_reads_every_json_and_csv_file_in_the_import_folder(tmp_path, settings):
    write(tmp_path, document(conversation("from-json")))
    shutil.copy(FIXTURES / "small.csv", tmp_path / "export.csv")
    settings.HELPDESK_IMPORT_PATH = str(tmp_path)

    run = conversations_sync(source="file")

    assert run.status == SyncRun.Status.SUCCEEDED
    stored = set(Conversation.objects.values_list("external_id", flat=True))
    assert "from-json" in stored
    assert len(stored) == run.created > 1


def test_file_without_an_import_path_says_how_to_import_by_hand(settings):
    settings.HELPDESK_IMPORT_PATH = ""

    assert failed_with("file") == (
        "HELPDESK_IMPORT_PATH is not set: with HELPDESK=file, use "
        "'manage.py import_conversations FILE' or point it at a file or folder."
    )


def test_a_helpdesk_carousel_has_no_connector_for_is_refused_by_name():
    with pytest.raises(HelpdeskConfigError, match="^Unknown helpdesk 'freshdesk'.$"):
        helpdesk_for_source("freshdesk")
