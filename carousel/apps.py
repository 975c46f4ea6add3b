from django.apps import AppConfig


class CarouselConfig(AppConfig):
    """The project itself: its own system checks."""

    name = "carousel"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers them)
