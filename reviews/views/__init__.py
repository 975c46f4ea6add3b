"""Pages, by who they are for. A URL name's module is named in reviews/urls.py beside it:

- week.py: an agent's week (the batch, pulling more, handing one back)
- reviewing.py: writing a review, reading a conversation
- feedback.py: reviews received and written, replies, the team's highlights
- team.py: a lead's team pages (weeks, trends, coaching, exports, settings, scorecard)
- account.py: one's own settings

The sync pages for leads are in conversations/views.py. Who may see what: reviews/access.py.
"""
