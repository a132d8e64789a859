"""The Stop Heling commands: synthetic data, the CSV import, the demo reports."""

from __future__ import annotations

import csv

from sqlalchemy import func, select

from register.hits.models import Hit
from stolen_db.generator import Generator
from stolen_db.matching import Identifiers, find_matches
from stolen_db.models import StolenReport, StolenReportKey
from stolen_db.normalize import is_valid_imei, normalize_serial

from .helpers import IMEI


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


class TestGenerator:
    def test_generated_imeis_have_valid_check_digits_and_known_allocation_codes(self):
        from stolen_db.generator import PHONES

        tacs = {tac for models in PHONES.values() for codes in models.values() for tac in codes}
        reports = [r for r in Generator(seed=7).reports(2000) if r["imei"]]
        assert len(reports) > 500
        for report in reports:
            assert is_valid_imei(report["imei"]), report
            assert normalize_serial(report["imei"])[:8] in tacs

    def test_generated_reports_carry_an_identifier_that_fits_their_category(self):
        for report in Generator(seed=3).reports(1000):
            if report["category"] == "phone":
                assert report["imei"]
            elif report["category"] in ("bicycle", "e_bike"):
                assert report["frame_number"] and report["brand"]
            else:
                assert report["serial_number"]
            assert report["description"]

    def test_the_same_seed_makes_the_same_reports(self, clock):
        now = clock.now()
        assert list(Generator(5, now=now).reports(50)) == list(Generator(5, now=now).reports(50))


def test_stolen_generate_adds_reports_that_match(app, session):
    result = run(app, "stolen-generate", "--count", "120", "--seed", "11")
    assert result.exit_code == 0, result.output
    assert "added 120" in result.output
    assert session.scalar(select(func.count(StolenReport.id))) == 120
    assert session.scalar(select(func.count()).select_from(StolenReportKey)) > 120
    report = session.scalars(
        select(StolenReport).where(StolenReport.serial_number.is_not(None))
    ).first()
    typed = report.serial_number.lower()
    (matches,) = find_matches(session, [Identifiers(serial_number=typed, brand=report.brand)])
    assert [m.report_id for m in matches] == [report.id]


def test_stolen_generate_refuses_a_count_below_one(app):
    result = run(app, "stolen-generate", "--count", "0")
    assert result.exit_code != 0


def write_csv(path, rows, columns=None):
    columns = columns or [
        "report_number", "reported_at", "category", "brand", "model", "imei",
        "serial_number", "frame_number", "description",
    ]  # fmt: skip
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


class TestImport:
    def test_good_rows_are_imported_and_each_bad_row_is_reported_with_its_reason(
        self, app, session, tmp_path
    ):
        path = tmp_path / "reports.csv"
        write_csv(path, [
            {"report_number": "A-1", "reported_at": "2026-11-20T10:00:00+01:00",
             "category": "phone", "brand": "Apple", "imei": IMEI},
            {"report_number": "A-2", "reported_at": "2026-11-20T10:00:00+01:00",
             "category": "phone", "imei": "490154203237519"},
            {"report_number": "A-3", "reported_at": "not a date", "category": "bicycle",
             "frame_number": "GZ1"},
            {"report_number": "A-1", "reported_at": "2026-11-21T10:00:00+01:00",
             "category": "laptop", "serial_number": "XYZ"},
            {"report_number": "A-4", "reported_at": "2026-11-21T10:00:00", "category": "bicycle",
             "brand": "Gazelle", "frame_number": "GZ 1234567"},
            {"report_number": "A-5", "reported_at": "2026-11-21T10:00:00", "category": "bicycle"},
        ])  # fmt: skip
        errors = tmp_path / "errors.csv"
        result = run(app, "stolen-import", str(path), "--errors", str(errors))
        assert result.exit_code == 1
        assert "imported 2 reports" in result.output and "refused 4 rows" in result.output
        assert "line 3: imei:" in result.output
        assert "line 4: reported_at:" in result.output
        assert "line 5: report_number:" in result.output
        assert "line 7: frame_number:" in result.output
        numbers = set(session.scalars(select(StolenReport.report_number)))
        assert numbers == {"A-1", "A-4"}
        with errors.open() as handle:
            refused = list(csv.DictReader(handle))
        assert {r["line"] for r in refused} == {"3", "4", "5", "7"}

    def test_imported_reports_make_retroactive_hits(self, app, session, clock, make, tmp_path):
        from tests.register.hits.helpers import register_item

        register_item(session, clock, dealer=make.dealer(), brand="Apple", imei=IMEI)
        path = tmp_path / "reports.csv"
        write_csv(path, [{"report_number": "B-1", "reported_at": "2026-11-20T10:00:00+01:00",
                          "category": "phone", "imei": IMEI}])  # fmt: skip
        result = run(app, "stolen-import", str(path))
        assert result.exit_code == 0, result.output
        assert "(1 retroactive hits)" in result.output
        assert session.scalar(select(Hit.trigger)) == "theft_report"

    def test_a_file_without_the_required_columns_is_refused_at_once(self, app, tmp_path):
        path = tmp_path / "reports.csv"
        write_csv(path, [{"imei": IMEI}], columns=["imei"])
        result = run(app, "stolen-import", str(path))
        assert result.exit_code != 0
        assert "lacks the columns" in result.output

    def test_unknown_columns_are_refused_at_once(self, app, tmp_path):
        path = tmp_path / "reports.csv"
        write_csv(path, [], columns=["report_number", "reported_at", "category", "victim"])
        result = run(app, "stolen-import", str(path))
        assert result.exit_code != 0 and "victim" in result.output


def test_the_demo_reports_can_be_hit_by_the_demo_purchases(session, clock):
    from stolen_db import demo

    demo.seed(session, now=clock.now(), context={})
    session.commit()
    for identifiers in (
        Identifiers(imei=demo.DEMO_STOLEN_IMEI, brand=demo.DEMO_STOLEN_IMEI_BRAND),
        Identifiers(frame_number=demo.DEMO_STOLEN_FRAME, brand=demo.DEMO_STOLEN_FRAME_BRAND),
        Identifiers(serial_number=demo.DEMO_STOLEN_SERIAL, brand=demo.DEMO_STOLEN_SERIAL_BRAND),
    ):
        assert len(find_matches(session, [identifiers])[0]) == 1, identifiers
    withdrawn = Identifiers(imei=demo.DEMO_WITHDRAWN["imei"])
    assert find_matches(session, [withdrawn]) == [[]]
    assert session.scalar(select(func.count(StolenReport.id))) == 6 + demo.SYNTHETIC_COUNT
