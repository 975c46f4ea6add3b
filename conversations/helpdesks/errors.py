class HelpdeskError(Exception):
    """Base for helpdesk failures; the message is written for a team lead."""


class HelpdeskAuthError(HelpdeskError):
    """The credentials were refused: permanent, retrying cannot help."""


class HelpdeskRequestError(HelpdeskError):
    """The helpdesk refused the request itself (4xx other than auth and rate limits)."""


class HelpdeskUnavailable(HelpdeskError):
    """Timeouts, 5xx, rate limits or garbage that outlasted every retry: try again later."""


class HelpdeskConfigError(HelpdeskError):
    """Carousel is not configured for the chosen helpdesk."""
