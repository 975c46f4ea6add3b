from django.urls import path

from . import lead_views, review_views, views

app_name = "reviews"
urlpatterns = [
    path("", views.home, name="home"),
    path("week/", views.my_week, name="my_week"),
    path("week/pull/", views.pull, name="pull"),
    path("assignments/<int:assignment_id>/skip/", views.skip, name="skip"),
    path("teams/<int:team_id>/week/", lead_views.team_week, name="team_week"),
    path("teams/<int:team_id>/trends/", lead_views.trends, name="trends"),
    path("teams/<int:team_id>/agents/<int:agent_id>/", lead_views.agent_detail, name="agent_detail"),
    path("teams/<int:team_id>/export/reviews.csv", lead_views.export_reviews, name="export_reviews"),
    path("teams/<int:team_id>/export/completion.csv", lead_views.export_completion, name="export_completion"),
    path("teams/<int:team_id>/unlock-sign-in/", lead_views.sign_in_unlock, name="sign_in_unlock"),
    path("teams/<int:team_id>/settings/", views.team_settings, name="team_settings"),
    path("teams/<int:team_id>/rubric/", review_views.rubric_edit, name="rubric_edit"),
    path("assignments/<int:assignment_id>/review/", review_views.review_conversation, name="review"),
    path("conversations/<int:conversation_id>/", review_views.conversation_detail, name="conversation"),
    path("feedback/", review_views.feedback, name="feedback"),
    path("reviews/written/", review_views.reviews_written, name="written"),
    path("reviews/<int:review_id>/", review_views.review_detail, name="review_detail"),
    path("reviews/<int:review_id>/seen/", review_views.review_seen, name="review_seen"),
    path("reviews/<int:review_id>/comments/", review_views.review_comment, name="review_comment"),
    path("account/notifications/", views.notification_settings, name="notifications"),
    path("highlights/", review_views.highlights, name="highlights"),
    path("highlights/<int:review_id>/unshare/", review_views.highlight_unshare, name="highlight_unshare"),
]
