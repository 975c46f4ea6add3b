"""Django admin: reviews, replies, scorecards and hand-backs listed for staff, read-mostly; every
deletion is on record."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from reviews import services
from reviews.models import Assignment, AuditEvent, Review, ReviewComment

from .factories import answers


@pytest.fixture
def reviewed(team_of_five, monday):
    builder, _ = team_of_five
    week = services.week_assign(team=builder.team)
    assignment = Assignment.objects.filter(week=week).select_related("reviewee__user").first()
    review = services.review_submit(
        assignment=assignment, answers=answers(quality=1, quality_note="Missed the refund.")
    )
    reply = services.review_comment_add(review=review, author=assignment.reviewee.user, body="It was policy.")
    services.assignment_skip(assignment=Assignment.objects.filter(week=week).last(), reason="wrong_language")
    staff = get_user_model().objects.create_superuser("admin@example.com", "admin@example.com", "pw")
    return {"review": review, "reply": reply, "staff": staff}


@pytest.mark.parametrize("model", ["review", "reviewcomment", "scorecard", "assignment", "auditevent"])
def test_staff_find_reviews_replies_scorecards_and_hand_backs_in_the_admin(client, reviewed, model):
    client.force_login(reviewed["staff"])

    assert client.get(reverse(f"admin:reviews_{model}_changelist")).status_code == 200
    hand_backs = client.get(reverse("admin:reviews_assignment_changelist"), {"status__exact": "skipped"})
    assert "Wrong language" in hand_backs.content.decode()


def test_what_people_wrote_cannot_be_edited_in_the_admin(client, reviewed):
    review = reviewed["review"]
    client.force_login(reviewed["staff"])
    url = reverse("admin:reviews_review_change", args=[review.pk])

    page = client.get(url).content.decode()
    assert "Save" not in page  # a view, not a form
    assert "Missed the refund." in page  # its ratings shown with it
    assert client.post(url, {"share_as_example": "on"}).status_code == 403
    review.refresh_from_db()
    assert not review.share_as_example


def test_deleting_a_review_in_the_admin_is_audited_and_gives_the_conversation_back(client, reviewed):
    review = reviewed["review"]
    client.force_login(reviewed["staff"])

    client.post(reverse("admin:reviews_review_delete", args=[review.pk]), {"post": "yes"})

    assert not Review.objects.filter(pk=review.pk).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.REVIEW_DELETED)
    assert (event.actor, event.review) == (reviewed["staff"], None)
    assert event.changes["reviewer"] == review.reviewer.name
    assert event.changes["quality"] == ["Needs improvement", "Missed the refund."]
    assert Assignment.objects.get(pk=review.assignment_id).status == Assignment.Status.ASSIGNED


def test_deleting_replies_in_bulk_keeps_each_one_on_record(client, reviewed):
    reply = reviewed["reply"]
    client.force_login(reviewed["staff"])

    client.post(
        reverse("admin:reviews_reviewcomment_changelist"),
        {"action": "delete_selected", "_selected_action": [reply.pk], "post": "yes"},
    )

    assert not ReviewComment.objects.exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.REPLY_DELETED)
    assert (event.changes["body"], event.review_id) == ("It was policy.", reviewed["review"].pk)
