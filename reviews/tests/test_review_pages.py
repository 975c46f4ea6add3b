"""Reviewing in the browser's pages: the scorecard, feedback, replies, highlights, scorecard versions."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import escape

from conversations.models import Message
from reviews import services
from reviews.models import NOTE_MAX_LENGTH, AgentWeek, Assignment, Review, ReviewComment, Scorecard, TeamSettings
from reviews.scorecards import DEFAULT_SPEC
from reviews.services import week_assign

from .factories import MONDAY, answers, levels, note, review_form

pytestmark = pytest.mark.django_db

ANSWERS = review_form(
    quality=2,
    quality_note="Right fix, clearly explained.",
    tone=3,
    tone_note="Warm and calm with an upset customer.",
    process="yes",
)


@pytest.fixture
def scene(team_of_five, monday, build):
    """Ana reviews one of Ben's conversations; Lee leads the team; Olga is in another team."""
    builder, agents = team_of_five
    # One review per conversation, so who sees what is fixed: second opinions' rules have
    # their own tests (test_second_opinions.py).
    TeamSettings.objects.create(team=builder.team, second_opinion_percent=0)
    week_assign(team=builder.team)
    ana, ben = agents[0], agents[1]
    assignment = Assignment.objects.filter(reviewer=ana).first()
    if assignment.reviewee != ben:
        # Hand Ana one of Ben's conversations so the personas read naturally.
        assignment = (
            Assignment.objects.filter(reviewee=ben, role=Assignment.Role.FIRST)
            .exclude(conversation__assignments__reviewer=ana)
            .first()
        )
        assignment.reviewer = ana
        assignment.save()
    Message.objects.create(
        conversation=assignment.conversation,
        external_id="1",
        author_kind="customer",
        author_name="Casey",
        created_at=MONDAY - timedelta(days=3),
        body_html="<p>My invoice total is wrong.</p>",
        body_text="My invoice total is wrong.",
    )
    lead = get_user_model().objects.create_user("lee@ledgerly.example", email="lee@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    other = build("Other team")
    olga = other.agent("Olga")
    return {
        "ana": ana,
        "ben": ben,
        "cleo": agents[2],
        "lead": lead,
        "olga": olga,
        "other": other,
        "assignment": assignment,
    }


def submit(client, assignment, **changes):
    return client.post(reverse("reviews:review", args=[assignment.pk]), {**ANSWERS, **changes})


def test_the_review_page_shows_the_transcript_beside_the_scorecard(client, scene):
    client.force_login(scene["ana"].user)

    page = client.get(reverse("reviews:review", args=[scene["assignment"].pk])).content.decode()

    assert "My invoice total is wrong." in page
    assert 'class="message message-customer"' in page
    assert "Needs improvement" in page and "Exceptional" in page
    # The default definitions, as the original design wrote them.
    assert escape("Accurate and complete: the right functionality conveyed clearly") in page
    assert escape("A real connection: empathy for the customer's perspective") in page  # Tone: Exceptional
    assert escape("Verified the customer's identity before account changes; tagged the conversation") in page
    assert "Followed internal processes" in page


def test_submitting_a_review_completes_the_assignment(client, scene):
    client.force_login(scene["ana"].user)

    response = submit(client, scene["assignment"])

    assert response.status_code == 302
    review = Review.objects.get()
    assert levels(review) == (2, 3, 2)
    assert review.score == pytest.approx((50 + 100 + 100) / 3)
    assert (review.reviewer, review.reviewee) == (scene["ana"], scene["ben"])
    assert Assignment.objects.get(pk=scene["assignment"].pk).status == "completed"
    page = client.get(reverse("reviews:my_week")).content.decode()
    assert "1 of 5</strong> reviews done this week" in page


def test_missing_answers_are_shown_next_to_their_fields_and_nothing_is_saved(client, scene):
    client.force_login(scene["ana"].user)

    response = submit(client, scene["assignment"], quality="", process="", tone="7")

    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose a level for Quality." in page
    assert "Choose a level for Followed internal processes." in page
    assert "Select a valid choice. 7 is not one of the available choices." in page
    assert ANSWERS["quality_note"] in page  # what was typed is kept
    assert not Review.objects.exists()


def test_submitting_twice_keeps_one_review_and_edits_update_it(client, scene):
    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"])
    submit(client, scene["assignment"])

    submit(client, scene["assignment"], quality="1", quality_note="Missed the root cause.")

    review = Review.objects.get()
    assert (levels(review)[0], note(review, "quality")) == (1, "Missed the root cause.")
    assert review.score == pytest.approx((0 + 100 + 100) / 3)


def test_a_review_cannot_be_changed_after_the_week_closes(client, scene, monday):
    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"])
    monday.move_to(MONDAY + timedelta(days=7))

    response = submit(client, scene["assignment"], quality="1")

    assert response.status_code == 403
    assert levels(Review.objects.get())[0] == 2


def test_nobody_else_can_open_or_submit_an_assignment(client, scene):
    for intruder in (scene["ben"].user, scene["cleo"].user, scene["olga"].user, scene["lead"]):
        client.force_login(intruder)
        assert client.get(reverse("reviews:review", args=[scene["assignment"].pk])).status_code == 404
        assert submit(client, scene["assignment"]).status_code == 404
    assert not Review.objects.exists()


def test_the_reviewee_reads_the_review_marks_it_seen_and_replies(client, scene):
    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"])
    client.force_login(scene["ben"].user)

    page = client.get(reverse("reviews:feedback")).content.decode()
    assert "Reviewed by <strong>Ana</strong>" in page
    # Each level wears its own colour, the same on every page that shows a review.
    assert 'Quality: <strong class="grade grade-mid">Good</strong>' in page
    assert 'Tone: <strong class="grade grade-high">Exceptional</strong>' in page
    assert 'Followed internal processes: <strong class="grade grade-high">Yes</strong>' in page
    assert "Warm and calm with an upset customer." in page
    assert "1 new</strong>" in page

    review = Review.objects.get()
    client.post(reverse("reviews:review_seen", args=[review.pk]))
    client.post(reverse("reviews:review_comment", args=[review.pk]), {"body": "Thanks, that helps!"})

    review.refresh_from_db()
    assert review.seen_at is not None
    assert ReviewComment.objects.get().body == "Thanks, that helps!"
    client.force_login(scene["ana"].user)
    assert "Thanks, that helps!" in client.get(reverse("reviews:review_detail", args=[review.pk])).content.decode()


def test_feedback_filters_by_week_and_summarises_levels(client, scene):
    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"])
    client.force_login(scene["ben"].user)

    this_week = client.get(reverse("reviews:feedback"), {"week": "2026-W48"}).content.decode()
    other_week = client.get(reverse("reviews:feedback"), {"week": "2026-W40"}).content.decode()

    assert "Reviewed by" in this_week and "Reviewed by" not in other_week
    assert "Quality: Needs improvement 0 · Good 1 · Exceptional 0" in this_week


def test_other_agents_cannot_see_or_answer_someone_elses_reviews(client, scene):
    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"])
    review = Review.objects.get()

    for outsider in (scene["cleo"].user, scene["olga"].user):
        client.force_login(outsider)
        assert client.get(reverse("reviews:review_detail", args=[review.pk])).status_code == 404
        assert client.post(reverse("reviews:review_comment", args=[review.pk]), {"body": "x"}).status_code == 404
        assert client.get(reverse("reviews:conversation", args=[review.conversation_id])).status_code == 404
        assert "Reviewed by" not in client.get(reverse("reviews:feedback")).content.decode()
    # The reviewer can read the review but not mark it seen for the reviewee.
    client.force_login(scene["ana"].user)
    assert client.post(reverse("reviews:review_seen", args=[review.pk])).status_code == 403
    assert not ReviewComment.objects.exists()


def test_the_lead_sees_their_teams_reviews_and_nothing_of_other_teams(client, scene):
    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"])
    review = Review.objects.get()
    client.force_login(scene["lead"])

    assert client.get(reverse("reviews:review_detail", args=[review.pk])).status_code == 200
    assert client.get(reverse("reviews:conversation", args=[review.conversation_id])).status_code == 200
    elsewhere = scene["other"].conversations(scene["olga"], 1)[0]
    assert client.get(reverse("reviews:conversation", args=[elsewhere.pk])).status_code == 404


def test_an_agent_sees_their_own_conversations_and_assigned_ones_only(client, scene):
    own = scene["assignment"].conversation  # Ben's
    client.force_login(scene["ben"].user)
    assert client.get(reverse("reviews:conversation", args=[own.pk])).status_code == 200
    client.force_login(scene["ana"].user)
    assert client.get(reverse("reviews:conversation", args=[own.pk])).status_code == 200
    client.force_login(scene["cleo"].user)
    assert client.get(reverse("reviews:conversation", args=[own.pk])).status_code == 404


def test_reviews_i_wrote_lists_mine_with_links(client, scene):
    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"])

    page = client.get(reverse("reviews:written")).content.decode()

    assert str(scene["assignment"].conversation) in page
    assert reverse("reviews:review", args=[scene["assignment"].pk]) in page  # still editable this week


def test_a_shared_example_is_visible_to_the_team_and_a_lead_can_unshare_it(client, scene):
    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"], share_as_example="on")
    review = Review.objects.get()

    client.force_login(scene["cleo"].user)
    assert "Warm and calm with an upset customer." in client.get(reverse("reviews:highlights")).content.decode()
    assert client.get(reverse("reviews:conversation", args=[review.conversation_id])).status_code == 200
    assert client.post(reverse("reviews:highlight_unshare", args=[review.pk])).status_code == 403
    client.force_login(scene["olga"].user)
    assert "Warm and calm" not in client.get(reverse("reviews:highlights")).content.decode()

    client.force_login(scene["lead"])
    client.post(reverse("reviews:highlight_unshare", args=[review.pk]))

    client.force_login(scene["cleo"].user)
    assert "Warm and calm" not in client.get(reverse("reviews:highlights")).content.decode()
    assert client.get(reverse("reviews:conversation", args=[review.conversation_id])).status_code == 404


def test_sharing_needs_a_note_saying_why(client, scene):
    client.force_login(scene["ana"].user)

    response = submit(client, scene["assignment"], share_as_example="on", quality_note="", tone_note="")

    assert "Say what makes it a good example" in response.content.decode()


def test_changing_the_scorecard_makes_a_new_version_and_old_reviews_keep_theirs(client, scene):
    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"])
    first = Review.objects.get().scorecard
    client.force_login(scene["lead"])
    url = reverse("reviews:criterion_edit", args=[scene["ana"].team_id, "quality"])
    form = {"version": 1, "name": "Quality", "scale": "three_point", "weight": 1, "low_levels": 1}

    client.post(url, {**form, "level_2_label": "Good", "level_2_definition": "Correct answer, clearly put."})

    assert Scorecard.objects.filter(team=scene["ana"].team).count() == 2
    assert Review.objects.get().scorecard == first
    client.force_login(scene["ana"].user)
    page = client.get(reverse("reviews:review", args=[scene["assignment"].pk])).content.decode()
    assert escape(DEFAULT_SPEC.criteria[0].levels[1].definition) in page  # the review's own version
    assert "Scorecard version 1" in page
    other = Assignment.objects.filter(reviewer=scene["ana"], status="assigned").first()
    page = client.get(reverse("reviews:review", args=[other.pk])).content.decode()
    assert "Correct answer, clearly put." in page and "Scorecard version 2" in page


def test_agents_cannot_change_the_scorecard(client, scene):
    client.force_login(scene["ana"].user)
    url = reverse("reviews:criterion_edit", args=[scene["ana"].team_id, "quality"])

    assert client.get(url).status_code == 404
    assert (
        client.post(url, {"version": 1, "name": "x", "scale": "yes_no", "weight": 1, "low_levels": 1}).status_code
        == 404
    )
    assert not Scorecard.objects.exists()


def test_sign_in_with_email_in_any_case(client, scene):
    response = client.post(reverse("login"), {"username": scene["ana"].user.email.upper(), "password": "pw"})
    assert response.status_code == 302

    wrong = client.post(reverse("login"), {"username": scene["ana"].user.email, "password": "nope"})
    assert "Please enter a correct" in wrong.content.decode()


def test_password_reset_sends_a_link_by_email(client, scene, mailoutbox):
    client.post(reverse("password_reset"), {"email": scene["ana"].user.email})

    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body


@pytest.mark.parametrize("page", ["feedback", "written", "highlights"])
def test_list_pages_have_a_fixed_number_of_queries(client, build, monday, page, django_assert_max_num_queries):
    builder = build()
    reviewer, reviewee = builder.agent("Rita"), builder.agent("Rob")
    conversations = builder.conversations(reviewee, 50)
    week = week_assign(team=builder.team)
    Assignment.objects.filter(week=week).delete()
    for conversation in conversations:
        assignment = Assignment.objects.create(
            week=week, reviewer=reviewer, reviewee=reviewee, conversation=conversation
        )
        review = services.review_submit(
            assignment=assignment,
            answers=answers(quality_note="ok", share_as_example=True),
        )
        services.focus_record(review=review, text=f"Try {conversation.pk}")
    client.force_login(reviewee.user if page == "feedback" else reviewer.user)

    # Each review's ratings take four queries together (`with_ratings`); Feedback's summary
    # reads the team's scorecard (four) and counts the ratings (one), and its focus items and
    # 1:1s take one each (and the reviews still to rate first, one); the other two ask whose
    # scores the reader may see (two); Highlights reads the teams and criteria to filter by (four).
    with django_assert_max_num_queries({"feedback": 26, "written": 16, "highlights": 21}[page]):
        response = client.get(reverse(f"reviews:{page}"))

    assert response.content.decode().count("Reviewed by") == 25  # one page


def test_the_review_page_has_a_fixed_number_of_queries(client, scene, django_assert_max_num_queries):
    conversation = scene["assignment"].conversation
    for number in range(50):
        Message.objects.create(
            conversation=conversation,
            external_id=f"m{number}",
            author_kind="agent",
            author_agent=scene["ben"],
            created_at=MONDAY,
            body_html="<p>hi</p>",
            body_text="hi",
        )
    client.force_login(scene["ana"].user)

    # The menu's three, the scorecard's four, whether a teammate reviews it too and the
    # team's examples of levels among them, the earlier focus to follow up and this review's own.
    with django_assert_max_num_queries(21):
        response = client.get(reverse("reviews:review", args=[scene["assignment"].pk]))

    assert response.content.decode().count("message-agent") == 50


def test_staff_see_every_teams_reviews_and_conversations(client, scene):
    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"])
    staff = get_user_model().objects.create_user("root@ledgerly.example", password="pw", is_staff=True)
    client.force_login(staff)

    review = Review.objects.get()
    assert client.get(reverse("reviews:review_detail", args=[review.pk])).status_code == 200
    elsewhere = scene["other"].conversations(scene["olga"], 1)[0]
    assert client.get(reverse("reviews:conversation", args=[elsewhere.pk])).status_code == 200


def test_forms_refuse_a_post_without_the_csrf_token(scene):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(scene["ana"].user)

    response = strict.post(reverse("reviews:review", args=[scene["assignment"].pk]), ANSWERS)

    assert response.status_code == 403
    assert not Review.objects.exists()


def test_the_lead_sees_how_much_feedback_was_acknowledged(client, scene):
    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"])
    client.force_login(scene["ben"].user)
    client.post(reverse("reviews:review_seen", args=[Review.objects.get().pk]))
    client.force_login(scene["lead"])

    page = client.get(reverse("reviews:team_week", args=[scene["ana"].team_id])).content.decode()

    assert "feedback acknowledged: <strong>100%</strong>" in page


@pytest.mark.django_db(transaction=True)
def test_two_tabs_submitting_at_the_same_moment_make_one_review(scene):
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL: the second pass of scripts/test")
    given = answers(tone=3)
    barrier = threading.Barrier(4)
    errors = []

    def submit_once():
        try:
            barrier.wait()
            services.review_submit(assignment=Assignment.objects.get(pk=scene["assignment"].pk), answers=given)
        except Exception as exc:  # noqa: BLE001  (collected and asserted below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Review.objects.count() == 1


def test_the_conversation_and_review_pages_have_a_fixed_number_of_queries(client, scene, django_assert_max_num_queries):
    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"])
    review = Review.objects.get()
    for number in range(30):
        ReviewComment.objects.create(review=review, author=scene["ben"].user, body=f"reply {number}")
        message = Message.objects.create(
            conversation=review.conversation,
            external_id=f"x{number}",
            author_kind="customer",
            created_at=MONDAY,
            body_html="<p>hello</p>",
            body_text="hello",
        )
        message.attachments.create(name=f"file{number}.png", url=f"https://files.example.com/{number}.png")

    # One query for every message's attachments (prefetched), whatever their number; one
    # for whether the reader still has it to review blind, one for whether it is an example,
    # one for whether they lead its team (to send it for review).
    with django_assert_max_num_queries(20):
        assert client.get(reverse("reviews:conversation", args=[review.conversation_id])).status_code == 200
    # With its disputes, and whether the reader may see them, and the focus it set (and whether
    # the reader may see it).
    with django_assert_max_num_queries(20):
        assert client.get(reverse("reviews:review_detail", args=[review.pk])).status_code == 200


def test_review_edits_and_highlight_changes_are_in_the_audit_log(client, scene):
    from reviews.models import AuditEvent

    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"])
    submit(client, scene["assignment"], quality="1", share_as_example="on")
    client.force_login(scene["lead"])
    client.post(reverse("reviews:highlight_unshare", args=[Review.objects.get().pk]))

    events = list(AuditEvent.objects.order_by("id").values_list("action", "actor__email", "changes"))
    ana = scene["ana"].user.email
    assert events == [
        ("review_created", ana, {}),
        ("review_edited", ana, {"quality": ["Good", "Needs improvement"], "share_as_example": [False, True]}),
        ("highlight_shared", ana, {}),
        ("highlight_unshared", "lee@ledgerly.example", {}),
    ]


def test_mark_as_seen_never_redirects_to_another_site(client, scene):
    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"])
    client.force_login(scene["ben"].user)
    url = reverse("reviews:review_seen", args=[Review.objects.get().pk])

    response = client.post(url, {"next": "https://evil.example/phish"})

    assert response.url == reverse("reviews:feedback")


def test_a_handed_back_conversation_can_no_longer_be_opened_for_review(client, scene):
    from reviews.services import assignment_skip

    assignment_skip(assignment=scene["assignment"], reason="sensitive")
    client.force_login(scene["ana"].user)

    assert client.get(reverse("reviews:review", args=[scene["assignment"].pk])).status_code == 404


def test_moving_an_agent_to_another_team_does_not_move_their_history(client, scene):
    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"])
    review = Review.objects.get()
    ben = scene["ben"]
    ben.team = scene["olga"].team
    ben.save()

    client.force_login(scene["lead"])
    assert client.get(reverse("reviews:review_detail", args=[review.pk])).status_code == 200
    assert client.get(reverse("reviews:conversation", args=[review.conversation_id])).status_code == 200
    other_lead = get_user_model().objects.create_user("plead@ledgerly.example", password="pw")
    scene["olga"].team.leads.add(other_lead)
    client.force_login(other_lead)
    assert client.get(reverse("reviews:review_detail", args=[review.pk])).status_code == 404
    assert client.get(reverse("reviews:conversation", args=[review.conversation_id])).status_code == 404


def test_a_lead_can_open_every_conversation_reviewed_in_their_teams_weeks(client, scene):
    conversation = scene["assignment"].conversation
    conversation.team = scene["olga"].team  # the helpdesk filed it under another team's inbox
    conversation.save()
    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"])

    client.force_login(scene["lead"])

    assert client.get(reverse("reviews:review_detail", args=[Review.objects.get().pk])).status_code == 200
    assert client.get(reverse("reviews:conversation", args=[conversation.pk])).status_code == 200


def test_a_reply_from_the_person_reviewed_marks_the_review_seen_and_one_from_the_reviewer_does_not(client, scene):
    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"])
    review = Review.objects.get()

    client.post(reverse("reviews:review_comment", args=[review.pk]), {"body": "Ping me with questions."})
    review.refresh_from_db()
    assert review.seen_at is None

    client.force_login(scene["ben"].user)
    client.post(reverse("reviews:review_comment", args=[review.pk]), {"body": "Will do, thanks."})
    review.refresh_from_db()
    assert review.seen_at is not None


def test_a_reply_over_the_limit_comes_back_with_what_was_typed_and_why(client, scene):
    client.force_login(scene["ana"].user)
    submit(client, scene["assignment"])
    review = Review.objects.get()
    client.force_login(scene["ben"].user)
    typed = "Thanks! " + "x" * NOTE_MAX_LENGTH

    response = client.post(reverse("reviews:review_comment", args=[review.pk]), {"body": typed})

    page = response.content.decode()
    assert response.status_code == 400
    assert f"Ensure this value has at most 2000 characters (it has {len(typed)})." in page
    assert f">\n{typed}</textarea>" in page
    assert "Up to 2,000 characters." in page
    assert not ReviewComment.objects.exists()


def test_every_note_states_and_keeps_the_same_limit(client, scene):
    client.force_login(scene["ana"].user)
    form = client.get(reverse("reviews:review", args=[scene["assignment"].pk])).content.decode()
    long_note = "Detailed." * 230

    response = submit(client, scene["assignment"], tone_note=long_note)

    assert form.count('maxlength="2000"') == 3 and form.count("Up to 2,000 characters.") == 3
    assert "Ensure this value has at most 2000 characters (it has 2070)." in response.content.decode()
    assert long_note in response.content.decode()
    assert not Review.objects.exists()


def test_submit_and_next_walks_the_batch_in_order_and_says_how_far_along_it_is(client, scene):
    ana = scene["ana"]
    required = AgentWeek.objects.get(agent=ana).required
    services.assignments_pull(agent=ana, count=1)  # one more than the batch: the list is longer
    batch = list(Assignment.objects.filter(reviewer=ana).order_by("created_at", "pk"))
    total = len(batch)
    assert total > required
    client.force_login(ana.user)

    first = client.get(reverse("reviews:review", args=[batch[0].pk])).content.decode()
    assert f"Conversation 1 of {total} in your list" in first
    # The same count as My week: reviews done of those required.
    assert f'<progress value="0" max="{required}"></progress> 0 of {required} reviews done this week' in first

    seen = [batch[0].pk]
    response = submit(client, batch[0], then="next")
    while response.url != reverse("reviews:my_week"):
        assignment = Assignment.objects.get(pk=int(response.url.split("/")[2]))
        seen.append(assignment.pk)
        page = client.get(response.url).content.decode()
        assert f"Conversation {len(seen)} of {total}" in page
        assert f"saved: {len(seen) - 1} of {required} reviews done this week. Here is the next one." in page
        assert ("Submit and next" in page) is (len(seen) < total)
        response = submit(client, assignment, then="next")

    assert seen == [assignment.pk for assignment in batch]
    week = client.get(response.url).content.decode()
    assert f"saved: {total} of {required} reviews done this week. That was the last one to do." in week
    assert Review.objects.filter(reviewer=ana).count() == total


def test_submit_alone_goes_back_to_the_week_and_hand_back_is_one_compact_control(client, scene):
    client.force_login(scene["ana"].user)
    total = Assignment.objects.filter(reviewer=scene["ana"]).count()
    required = AgentWeek.objects.get(agent=scene["ana"]).required

    response = submit(client, scene["assignment"])
    page = client.get(response.url).content.decode()

    assert response.url == reverse("reviews:my_week")
    assert f"saved: 1 of {required} reviews done this week." in page
    assert page.count('<details class="hand-back"><summary>Hand back</summary>') == total - 1
