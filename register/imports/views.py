"""The CSV upload page: a small file is stored at once, a larger one shows its job's progress."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from ..accounts.authz import web_role_required
from ..extensions import db
from ..purchases import importer
from ..purchases.messages import translate
from ..purchases.service import RegisterError
from .api import accept_file, present_job, read_upload
from .models import ImportJob

bp = Blueprint("imports_web", __name__)

UPLOAD_ENDPOINTS = ("imports_web.upload", "imports.import_purchases")


@bp.record_once
def _allow_large_uploads(state) -> None:
    """The uploads' own size limit (``IMPORT_MAX_BYTES``, 413 above), set before anything
    reads the body: the CSRF check reads a form before any view runs."""

    def allow_large_upload() -> None:
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = int(current_app.config["IMPORT_MAX_BYTES"])

    state.app.before_request_funcs.setdefault(None, []).insert(0, allow_large_upload)


# How often a page without JavaScript reloads itself while its job runs (seconds).
REFRESH_SECONDS = 5


def _translated_rows(rows: list[dict]) -> list[dict]:
    return [
        {
            "row": row["row"],
            "errors": {
                column: " ".join(translate(m) for m in messages)
                for column, messages in row["errors"].items()
            },
        }
        for row in rows
    ]


def _page(status: int = 200, **context):
    context.setdefault("result", None)
    context.setdefault("rows", None)
    context.setdefault("problem", None)
    context.setdefault("job", None)
    return render_template(
        "purchases/import.html",
        columns=importer.COLUMNS,
        refresh_seconds=REFRESH_SECONDS,
        **context,
    ), status


@bp.route("/purchases/import", methods=["GET", "POST"])
@web_role_required("dealer")
def upload():
    if request.method == "GET":
        return _page()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(422, problem=_("Choose a CSV file to upload."))
    try:
        text, filename = read_upload()
        outcome, value = accept_file(
            g.principal.dealer_id, text, filename, user_id=g.principal.user_id
        )
    except importer.ImportRejected as exc:
        return _page(422, problem=translate(exc.detail), rows=_translated_rows(exc.rows))
    except RegisterError as exc:
        return _page(exc.status, problem=translate(exc.detail))
    if outcome == "stored":
        return _page(result=value)
    return redirect(url_for("imports_web.job", job_id=value.id), 303)


@bp.route("/purchases/import/<int:job_id>")
@web_role_required("dealer")
def job(job_id: int):
    """A large import's progress (the page refreshes while it runs) and then its outcome."""
    found = db.session.get(ImportJob, job_id)
    if found is None or found.dealer_id != g.principal.dealer_id:
        abort(404)
    return _page(job=present_job(found, text=translate))
