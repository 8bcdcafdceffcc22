"""People, organisations and user accounts, the policy table and the audit log: their pages (on core's
blueprint, so URLs and endpoint names ``core.<view>`` stay) and use cases, with the permission checks of
app.auth. Above auth, which reads core's models: core itself (models, clock, crypto, enums, rules, xlsx, the
registries) imports neither auth nor any area."""

from app.people import views  # noqa: F401
