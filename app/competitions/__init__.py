"""技能竞赛: the area's blueprint.

The area is split into sub-packages, each with the same rooms (services, forms, views, imports, demo,
templates): ``events`` (competitions, events, the pyramid), ``registration``, ``judging``, ``squads`` and
``awards``. Models, pure rules and deadline kinds are shared by all of them and stay here. One blueprint
serves them all, so URLs and endpoint names (``competitions.<view>``) do not depend on the split.
"""

from functools import cached_property

from flask import Blueprint
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader

SUB_PACKAGES = ("events", "registration", "judging", "squads", "awards")


class _AreaBlueprint(Blueprint):
    """A blueprint whose templates live in the area's folder and in each sub-package's folder."""

    @cached_property
    def jinja_loader(self) -> BaseLoader | None:
        root = self.root_path
        folders = [f"{root}/templates"] + [f"{root}/{name}/templates" for name in SUB_PACKAGES]
        return ChoiceLoader([FileSystemLoader(folder) for folder in folders])


bp = _AreaBlueprint("competitions", __name__, url_prefix="/competitions", template_folder="templates")

from app.auth import competitions as competition_rules  # noqa: E402
from app.auth.permissions import register_object_rule  # noqa: E402
from app.competitions.events.models import Competition, Event  # noqa: E402
from app.competitions.registration.models import Registration  # noqa: E402

register_object_rule(Competition, competition_rules.competition_rule)
register_object_rule(Event, competition_rules.event_rule)
register_object_rule(Registration, competition_rules.registration_rule)

from app.competitions import labels, record, todos  # noqa: E402,F401
from app.competitions.awards import reminders as award_reminders  # noqa: E402,F401
from app.competitions.awards import todos as award_todos  # noqa: E402,F401
from app.competitions.awards import views as award_views  # noqa: E402,F401
from app.competitions.events import views as event_views  # noqa: E402,F401
from app.competitions.judging import reminders as judging_reminders  # noqa: E402,F401
from app.competitions.judging import views as judging_views  # noqa: E402,F401
from app.competitions.registration import reminders as registration_reminders  # noqa: E402,F401
from app.competitions.registration import views  # noqa: E402,F401
from app.competitions.squads import reminders as squad_reminders  # noqa: E402,F401
from app.competitions.squads import views as squad_views  # noqa: E402,F401
