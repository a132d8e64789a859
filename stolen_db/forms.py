"""Web forms of Stop Heling. Rules live in the schemas and the service, not here."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from .categories import CATEGORIES, category_labels


class CheckForm(FlaskForm):
    identifier = StringField(_l("IMEI, serial number or frame number"))
    brand = StringField(_l("Brand"))


class StolenReportForm(FlaskForm):
    report_number = StringField(_l("Report number"))
    # Parsed by the schema, as the API's field is (datetime-local: Dutch time).
    reported_at = StringField(_l("Reported at"), render_kw={"type": "datetime-local"})
    category = SelectField(_l("Category"), choices=[])
    brand = StringField(_l("Brand"))
    model = StringField(_l("Model"))
    imei = StringField(_l("IMEI"))
    serial_number = StringField(_l("Serial number"))
    frame_number = StringField(_l("Frame number"))
    description = TextAreaField(_l("Description"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = category_labels()
        self.category.choices = [(c, labels[c]) for c in CATEGORIES]

    def payload(self) -> dict:
        """The typed values as the API would receive them (empty fields left out)."""
        data = {}
        for name in (
            "report_number", "category", "brand", "model", "imei", "serial_number",
            "frame_number", "description",
        ):  # fmt: skip
            value = (getattr(self, name).data or "").strip()
            if value:
                data[name] = value
        reported_at = (self.reported_at.data or "").strip()
        if reported_at:
            data["reported_at"] = reported_at
        return data

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        """Show field messages (from the schema or the service) next to their fields."""
        for name, messages in errors.items():
            field = getattr(self, name, None)
            if field is None:
                field = self.report_number
            field.errors = list(field.errors or []) + list(messages)
