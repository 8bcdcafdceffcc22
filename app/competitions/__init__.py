"""技能竞赛: the area, split into sub-packages with the same rooms (models, rules, services, forms, views,
imports, reminders, demo, templates): ``events`` (competitions, events, the pyramid), ``registration``,
``judging``, ``squads`` and ``awards``, which read one another one way (events ← registration ← judging ←
squads | awards). One blueprint (blueprint.py) serves them all. The modules here sit above every sub-package:
the pages that show more than one (views.py), and what the area registers with core and supervision (labels,
skills record, to-dos, statistics); no sub-package imports them.
"""

from app.auth import competitions as competition_rules
from app.auth.permissions import register_object_rule
from app.competitions import labels, record, todos, views  # noqa: F401
from app.competitions.awards import todos as award_todos  # noqa: F401
from app.competitions.awards import views as award_views  # noqa: F401
from app.competitions.blueprint import bp
from app.competitions.events import views as event_views  # noqa: F401
from app.competitions.events.models import Competition, Event
from app.competitions.judging import views as judging_views  # noqa: F401
from app.competitions.registration import views as registration_views  # noqa: F401
from app.competitions.registration.models import Registration
from app.competitions.squads import views as squad_views  # noqa: F401

# isort: off
# The deadline kinds, in the order the reminder inbox and preferences list them.
from app.competitions.registration import reminders as registration_reminders  # noqa: F401
from app.competitions.judging import reminders as judging_reminders  # noqa: F401
from app.competitions.squads import reminders as squad_reminders  # noqa: F401
from app.competitions.awards import reminders as award_reminders  # noqa: F401
# isort: on

__all__ = ["bp"]

register_object_rule(Competition, competition_rules.competition_rule)
register_object_rule(Event, competition_rules.event_rule)
register_object_rule(Registration, competition_rules.registration_rule)
