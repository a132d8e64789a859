"""Validation messages a counter clerk understands, in English with Dutch translations.

A ``Message`` is the English text (what the API answers) that remembers its template and
parameters, so the web pages can show it in the reader's language.
"""

from __future__ import annotations

from flask_babel import gettext


class Message(str):
    """An English message that the web pages can translate: ``Message(template, **params)``."""

    template: str
    params: dict

    def __new__(cls, template: str, **params):
        self = super().__new__(cls, template % params if params else template)
        self.template = template
        self.params = params
        return self


def translate(message) -> str:
    """The message in the current locale. Marshmallow's "Must be one of: a, b." lists the
    API's codes; a page asks to choose among the options it shows instead."""
    if isinstance(message, Message):
        translated = gettext(message.template)
        return translated % message.params if message.params else translated
    if str(message).startswith("Must be one of: "):
        return gettext(CHOOSE_AN_OPTION)
    return gettext(str(message))


def N_(text: str) -> str:  # the gettext convention: mark for translation, translate later
    return text


# Messages marshmallow gives on its own, listed so that they are in the catalogue.
MARSHMALLOW_MESSAGES = (
    N_("Missing data for required field."),
    N_("Not a valid integer."),
    N_("Not a valid string."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid boolean."),
    N_("Field may not be null."),
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Not a valid list."),
)

CHOOSE_AN_OPTION = N_("Choose one of the options.")
REQUIRED = N_("This field is required.")
REQUIRED_MESSAGES = {"required": REQUIRED, "null": REQUIRED}
