"""Filling in a conversation's missing times, and saying truthfully what was used."""

from datetime import UTC, datetime

import pytest

from conversations.helpdesks.fields import RecordError, times_settle

EARLY, MIDDLE, LATE = (datetime(2026, 11, 20, hour, tzinfo=UTC) for hour in (9, 10, 11))


def test_missing_times_come_from_the_messages():
    assert times_settle(None, None, [MIDDLE, EARLY, LATE]) == (
        EARLY,
        LATE,
        [
            "It had no creation time; its first message's was used.",
            "It had no update time; its last message's was used.",
        ],
    )


def test_without_messages_each_time_stands_in_for_the_other():
    assert times_settle(None, LATE, []) == (LATE, LATE, ["It had no creation time; its update time was used."])
    assert times_settle(EARLY, None, []) == (EARLY, EARLY, ["It had no update time; its creation time was used."])


def test_a_later_message_moves_a_missing_update_time_past_the_creation_time():
    assert times_settle(EARLY, None, [MIDDLE])[1] == MIDDLE


def test_given_times_are_kept_without_a_warning():
    assert times_settle(EARLY, LATE, [MIDDLE]) == (EARLY, LATE, [])


def test_no_times_at_all_skips_the_record():
    with pytest.raises(RecordError, match="it has no times at all"):
        times_settle(None, None, [])
