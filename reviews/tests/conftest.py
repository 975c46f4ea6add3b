from .factories import build, monday, team_of_five  # noqa: F401  (fixtures)
