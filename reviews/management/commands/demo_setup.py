from django.conf import settings
from django.core.management.base import BaseCommand

from conversations.models import Conversation, Source
from reviews.demo import content
from reviews.demo.build import demo_build, people_create
from reviews.services import due_weeks_assign


class Command(BaseCommand):
    help = "Set up the demo: Ledgerly's three teams, twelve weeks of reviews, this week's batches (safe to run again)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            self.stderr.write("demo_setup creates accounts with a published password; it runs only with DEBUG=true.")
            return
        if Conversation.objects.filter(source=Source.FILE).exists():
            # Set up before: keep what people did in it; only make a new week's batches.
            people_create()
            weeks = due_weeks_assign()
            self.stdout.write(f"The demo is already set up; {len(weeks)} teams' weeks are under way.")
        else:
            run = demo_build()
            self.stdout.write(
                f"Imported {run.kept} conversations ({run.excluded} set aside as short, spam or bot-only)."
            )
        self.stdout.write(
            f"Demo ready. Sign in with password {content.PASSWORD!r} as an agent (e.g. {content.DEMO_AGENT.email}), "
            f"as the lead ({content.LEAD.email}) or as the admin ({content.ADMIN.email})."
        )
