from django.urls import path

from . import review_views, views

app_name = "reviews"
urlpatterns = [
    path("", views.home, name="home"),
    path("week/", views.my_week, name="my_week"),
    path("week/pull/", views.pull, name="pull"),
    path("assignments/<int:assignment_id>/skip/", views.skip, name="skip"),
    path("teams/<int:team_id>/week/", views.team_week, name="team_week"),
    path("teams/<int:team_id>/settings/", views.team_settings, name="team_settings"),
    path("teams/<int:team_id>/rubric/", review_views.rubric_edit, name="rubric_edit"),
    path("assignments/<int:assignment_id>/review/", review_views.review_conversation, name="review"),
    path("conversations/<int:conversation_id>/", review_views.conversation_detail, name="conversation"),
    path("feedback/", review_views.feedback, name="feedback"),
    path("reviews/written/", review_views.reviews_written, name="written"),
    path("reviews/<int:review_id>/", review_views.review_detail, name="review_detail"),
    path("reviews/<int:review_id>/seen/", review_views.review_seen, name="review_seen"),
    path("reviews/<int:review_id>/comments/", review_views.review_comment, name="review_comment"),
    path("highlights/", review_views.highlights, name="highlights"),
    path("highlights/<int:review_id>/unshare/", review_views.highlight_unshare, name="highlight_unshare"),
]
