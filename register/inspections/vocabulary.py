"""Words shown from data (task reasons and statuses, item statuses), marked for translation."""

from flask_babel import lazy_gettext as _l

WORDS = (
    _l("hit"), _l("late_registration"), _l("late_report"), _l("missing_report"),
    _l("no_registrations"), _l("routine"), _l("follow_up"),
    _l("open"), _l("done"), _l("cancelled"),
    _l("holding"), _l("available"), _l("sold"), _l("police_hold"), _l("seized"),
    _l("released"),
)  # fmt: skip
