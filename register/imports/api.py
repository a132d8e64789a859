"""The CSV import over the API: small files at once, larger ones as import jobs."""

from __future__ import annotations

from flask import Response, current_app, g, json, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..accounts.authz import require_role
from ..apiutil import NON_JSON_ENDPOINTS
from ..clock import clock
from ..dealers.models import Dealer
from ..errors import PROBLEM_MIMETYPE, PROBLEM_TYPE_BASE, abort_problem
from ..extensions import db
from ..purchases import importer
from ..purchases.service import RegisterError
from .models import ImportJob
from .service import as_message, create_job

blp = Blueprint(
    "imports", __name__, url_prefix="/api/v1", description="DOR: bulk registration from CSV"
)


class ImportAcceptedOut(Schema):
    id = fields.Integer()
    status = fields.String()
    rows_total = fields.Integer()


class ImportRowErrorOut(Schema):
    row = fields.Integer(metadata={"description": "line in the file (the header is line 1)"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class ImportJobOut(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"enum": ["queued", "running", "succeeded", "failed"]})
    rows_total = fields.Integer()
    rows_done = fields.Integer()
    purchases = fields.Integer(allow_none=True, metadata={"description": "when succeeded"})
    items = fields.Integer(allow_none=True, metadata={"description": "when succeeded"})
    detail = fields.String(allow_none=True, metadata={"description": "why it failed"})
    errors = fields.List(fields.Nested(ImportRowErrorOut))
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


def read_upload() -> tuple[str, str | None]:
    """The uploaded CSV text and its file name (the size limit: ``views.UPLOAD_ENDPOINTS``)."""
    upload = request.files.get("file")
    if request.mimetype == "multipart/form-data" and upload is None:
        abort_problem(422, "Send the CSV file as the form field file.", errors=_NO_FILE)
    raw = upload.read() if upload is not None else request.get_data()
    if upload is not None and not raw:
        abort_problem(422, "The file is empty.", errors={"file": ["The file is empty."]})
    return importer.decode(raw), (upload.filename if upload is not None else None)


_NO_FILE = {"file": ["Send the CSV file."]}


def accept_file(dealer_id: int, text: str, filename: str | None, *, user_id: int | None):
    """Store a small file now (the import's result) or queue a larger one (its job):
    ``("stored", result)`` or ``("queued", job)``; ImportRejected for a file whose header or
    layout is wrong, RegisterError for a dealer that may not register."""
    groups = importer.parse(text)
    now = clock().now()
    dealer = db.session.get(Dealer, dealer_id)
    if importer.row_count(groups) <= int(current_app.config["IMPORT_SYNC_MAX_ROWS"]):
        result = importer.import_csv(
            db.session, dealer, text, now=now, user_id=user_id, groups=groups
        )
        return "stored", result
    job = create_job(db.session, dealer, text, groups, now=now, user_id=user_id, filename=filename)
    return "queued", job


@blp.route("/purchases/import", methods=["POST"])
@require_role("dealer")
@blp.doc(
    description=importer.FORMAT_DOC,
    requestBody={
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    },
)
@blp.response(201, importer.ImportResultOut)
@blp.alt_response(
    202,
    schema=ImportAcceptedOut,
    description="a larger file, accepted as an import job: follow `Location`",
)
@blp.alt_response(422, description="nothing stored; `rows` lists every bad row with its errors")
def import_purchases():
    """Bulk registration from a point-of-sale system (CSV): all rows are stored or none."""
    try:
        text, filename = read_upload()
        outcome, value = accept_file(
            g.principal.dealer_id, text, filename, user_id=g.principal.user_id
        )
    except importer.ImportRejected as exc:
        return import_problem(exc)
    except RegisterError as exc:
        abort_problem(exc.status, str(exc.detail), errors=exc.errors)
    if outcome == "stored":
        return value
    body = {"id": value.id, "status": value.status, "rows_total": value.rows_total}
    response = Response(json.dumps(body), status=202, mimetype="application/json")
    response.headers["Location"] = f"/api/v1/imports/{value.id}"
    return response


@blp.route("/imports/<int:job_id>", methods=["GET"])
@require_role("dealer")
@blp.response(200, ImportJobOut)
def import_job(job_id: int):
    """A large import's progress and outcome (the dealer that sent it; 404 for anyone else)."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.dealer_id != g.principal.dealer_id:
        abort_problem(404, "No such import.")
    return present_job(job)


def present_job(job: ImportJob, text=str) -> dict:
    """The job as the API shows it; ``text`` turns a stored message into text (``str``:
    the English of the API; a page passes ``translate``)."""
    succeeded = job.status == "succeeded"
    return {
        "id": job.id,
        "status": job.status,
        "rows_total": job.rows_total,
        "rows_done": job.rows_done,
        "purchases": job.purchases if succeeded else None,
        "items": job.items if succeeded else None,
        "detail": None if job.detail is None else text(as_message(job.detail)),
        "errors": [
            {
                "row": row["row"],
                "errors": {
                    column: [text(as_message(m)) for m in messages]
                    for column, messages in row["errors"].items()
                },
            }
            for row in job.errors or []
        ],
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def import_problem(exc: importer.ImportRejected) -> Response:
    """422 with every bad row: ``errors`` by path (rows.3.imei) and ``rows`` as a list."""
    errors = {
        f"rows.{row['row']}.{name}": messages
        for row in exc.rows
        for name, messages in row["errors"].items()
    }
    body = {
        "type": PROBLEM_TYPE_BASE + "validation-error",
        "title": "Validation failed",
        "status": 422,
        "detail": str(exc.detail),
        "errors": errors or {"file": [str(exc.detail)]},
        "rows": exc.rows,
    }
    return Response(json.dumps(body), status=422, mimetype=PROBLEM_MIMETYPE)


NON_JSON_ENDPOINTS.add("imports.import_purchases")
