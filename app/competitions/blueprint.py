"""The competitions blueprint: one for the five sub-packages, so URLs and endpoint names (``competitions.<view>``)
do not depend on the split. Every sub-package's views add their routes to it; this module imports none of them
(app/competitions/__init__.py loads them)."""

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


bp = _AreaBlueprint("competitions", "app.competitions", url_prefix="/competitions", template_folder="templates")
