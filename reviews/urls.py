from django.urls import path

from .views import (
    account,
    calibration,
    coaching,
    disputes,
    feedback,
    people,
    reviewing,
    scorecard,
    search,
    team,
    week,
)

app_name = "reviews"
urlpatterns = [
    # An agent's week (views/week.py)
    path("", week.home, name="home"),
    path("week/", week.my_week, name="my_week"),
    path("week/batch/", week.batch_join, name="batch_join"),
    path("week/pull/", week.pull, name="pull"),
    path("assignments/<int:assignment_id>/skip/", week.skip, name="skip"),
    # Reviewing (views/reviewing.py)
    path("assignments/<int:assignment_id>/review/", reviewing.review_conversation, name="review"),
    path("conversations/<int:conversation_id>/", reviewing.conversation_detail, name="conversation"),
    path("conversations/<int:conversation_id>/include/", reviewing.conversation_include, name="conversation_include"),
    path("conversations/<int:conversation_id>/send/", reviewing.conversation_send, name="conversation_send"),
    path(
        "conversations/<int:conversation_id>/review-myself/",
        reviewing.conversation_review_myself,
        name="conversation_review_myself",
    ),
    # Conversation search (views/search.py)
    path("search/", search.conversation_search, name="search"),
    # Feedback and highlights (views/feedback.py)
    path("feedback/", feedback.feedback, name="feedback"),
    path("reviews/written/", feedback.reviews_written, name="written"),
    path("reviews/<int:review_id>/", feedback.review_detail, name="review_detail"),
    path("reviews/<int:review_id>/seen/", feedback.review_seen, name="review_seen"),
    path("reviews/<int:review_id>/helpful/", feedback.review_helpful, name="review_helpful"),
    path("reviews/<int:review_id>/dispute/", disputes.dispute_open, name="dispute_open"),
    path("disputes/<int:dispute_id>/", disputes.dispute_detail, name="dispute"),
    path("disputes/<int:dispute_id>/resolver/", disputes.dispute_assign, name="dispute_assign"),
    path("conversations/<int:conversation_id>/own-rating/", feedback.own_rating, name="own_rating"),
    path("reviews/<int:review_id>/comments/", feedback.review_comment, name="review_comment"),
    path("highlights/", feedback.highlights, name="highlights"),
    path("highlights/<int:review_id>/unshare/", feedback.highlight_unshare, name="highlight_unshare"),
    path(
        "highlights/<int:review_id>/article.<str:extension>",
        feedback.highlight_article,
        name="highlight_article",
    ),
    path("highlights/<int:review_id>/publish/", feedback.highlight_publish, name="highlight_publish"),
    # A lead's team pages (views/team.py)
    path("teams/", team.teams, name="teams"),
    path("teams/<int:team_id>/week/", team.team_week, name="team_week"),
    path("teams/<int:team_id>/trends/", team.trends, name="trends"),
    path("teams/<int:team_id>/reports/", team.reports, name="reports"),
    path("teams/<int:team_id>/agreement/", team.agreement, name="agreement"),
    path("teams/<int:team_id>/complaints/", team.complaints, name="complaints"),
    path("teams/<int:team_id>/disputes/", disputes.team_disputes, name="team_disputes"),
    path("teams/<int:team_id>/agents/<int:agent_id>/", team.agent_detail, name="agent_detail"),
    # 1:1 coaching (views/coaching.py)
    path("teams/<int:team_id>/agents/<int:agent_id>/one-on-ones/new/", coaching.one_on_one_new, name="one_on_one_new"),
    path("one-on-ones/<int:one_on_one_id>/", coaching.one_on_one_detail, name="one_on_one"),
    path(
        "one-on-ones/<int:one_on_one_id>/acknowledge/",
        coaching.one_on_one_acknowledge,
        name="one_on_one_acknowledge",
    ),
    path(
        "one-on-ones/<int:one_on_one_id>/actions/<int:item_id>/",
        coaching.action_item_mark,
        name="action_item_mark",
    ),
    path("teams/<int:team_id>/export/", team.export, name="export"),
    path("teams/<int:team_id>/export/reviews.csv", team.export_reviews, name="export_reviews"),
    path("teams/<int:team_id>/export/completion.csv", team.export_completion, name="export_completion"),
    path("teams/<int:team_id>/unlock-sign-in/", team.sign_in_unlock, name="sign_in_unlock"),
    path("teams/<int:team_id>/settings/", team.team_settings, name="team_settings"),
    # Calibration sessions (views/calibration.py)
    path("teams/<int:team_id>/calibration/", calibration.team_calibrations, name="team_calibrations"),
    path("calibration/<int:session_id>/", calibration.calibration_detail, name="calibration"),
    path("calibration/<int:session_id>/reveal/", calibration.calibration_reveal, name="calibration_reveal"),
    path(
        "calibration/<int:session_id>/conversations/<int:item_id>/",
        calibration.calibration_item,
        name="calibration_item",
    ),
    path(
        "calibration/<int:session_id>/conversations/<int:item_id>/agreed/",
        calibration.calibration_answers,
        name="calibration_answers",
    ),
    path(
        "teams/<int:team_id>/scorecard/examples/<int:example_id>/remove/",
        calibration.level_example_remove,
        name="level_example_remove",
    ),
    # A lead's scorecard (views/scorecard.py)
    path("teams/<int:team_id>/scorecard/", scorecard.scorecard, name="scorecard"),
    path("teams/<int:team_id>/scorecard/new/", scorecard.criterion_edit, name="criterion_new"),
    path("teams/<int:team_id>/scorecard/<slug:key>/", scorecard.criterion_edit, name="criterion_edit"),
    path("teams/<int:team_id>/scorecard/<slug:key>/archive/", scorecard.criterion_archive, name="criterion_archive"),
    path("teams/<int:team_id>/scorecard/<slug:key>/move/", scorecard.criterion_move, name="criterion_move"),
    # A lead's people page (views/people.py)
    path("teams/<int:team_id>/people/", people.team_people, name="team_people"),
    path("teams/<int:team_id>/people/invite/", people.invite, name="invite"),
    path("teams/<int:team_id>/people/lead/", people.lead_change, name="lead_change"),
    path("teams/<int:team_id>/people/away/", people.absence_create, name="absence_create"),
    path("teams/<int:team_id>/people/start/", people.start_date_set, name="start_date_set"),
    path("teams/<int:team_id>/people/away/<int:absence_id>/delete/", people.absence_delete, name="absence_delete"),
    # One's own account (views/account.py)
    path("account/notifications/", account.notification_settings, name="notifications"),
]
