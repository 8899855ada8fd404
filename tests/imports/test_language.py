"""Latvian first: what company staff read of an import (the report, the summary, the
history) is Latvian unless they ask for English, and every message is in the catalogue."""

from __future__ import annotations

import io

from tests.imports.conftest import BASE, cli, do_import, replace_in, write_snapshot
from zaao_hx.imports.progress import Lines, history_table
from zaao_hx.imports.report import Report, warning_count_of
from zaao_hx.web.i18n import gettext, language, number


def _bad(tmp_path):
    return write_snapshot(tmp_path / "snapshot", {
        **replace_in("payments.csv", "18.88,Swedbank", "18.885,Swedbank"),
        **replace_in("contracts.csv", "2015-03-01,,paper", "2015-03-01,,fax"),
    })


def test_the_report_is_latvian_unless_english_is_asked_for(base_loaded, tmp_path):
    url = base_loaded
    folder = _bad(tmp_path)
    done = cli(url, tmp_path, "import", str(folder), lang=None)
    assert done.returncode == 1
    said = done.stderr.splitlines()
    assert said[0] == f"Momentuzņēmums {folder} noraidīts: 2 kļūdas; datubāze nav mainīta."
    assert "2 kļūdas:" in said
    assert ("  contracts.csv, rinda 2, kolonna delivery: 'fax' nav neviena no: paper, email, "
            "einvoice") in said
    assert ("  payments.csv, rinda 2, kolonna amount: '18.885' nav summa (cipari, punkts un "
            "ne vairāk kā 2 decimālzīmes, piem., 12.30)") in said
    english = cli(url, tmp_path, "import", str(folder), lang="en").stderr.splitlines()
    assert english[0] == f"Refused {folder}: 2 errors; the database is unchanged."
    assert "  contracts.csv, line 2, column delivery: 'fax' is not one of paper, email, " \
           "einvoice" in english
    history = cli(url, tmp_path, "imports", lang=None).stdout.splitlines()
    assert history[0].split()[:5] == ["#", "sākts", "(Rīga)", "iznākums", "ilgums"]
    assert "noraidīts" in history[1]
    assert "rejected" in cli(url, tmp_path, "imports", lang="en").stdout.splitlines()[1]


def test_a_folder_that_is_not_there_in_latvian(import_db, tmp_path):
    done = cli(import_db, tmp_path, "import", str(tmp_path / "nowhere"), lang=None)
    assert done.returncode == 1
    assert done.stderr == f"zaao-hx import: {tmp_path / 'nowhere'} nav mape\n"


def test_every_problem_of_a_broken_snapshot_is_translated(base_loaded, tmp_path):
    """A snapshot with many kinds of problem at once: each message has its own English
    (a message left out of the catalogue would read the same in both languages)."""
    changes = {
        **replace_in("invoices.csv", "M2,10-1,statement,2026-11-03", "M2,10-1,statement,x"),
        **replace_in("payments.csv", "18.88,Swedbank", '"18,88",Swedbank'),
        **replace_in("sites.csv", "S3,10-3", "S3,10-9"),
        **replace_in("customers.csv", "C3,private", "C2,private"),
        **replace_in("containers.csv", "FREQ=MONTHLY;BYDAY=2WE", "RRULE:FREQ=MONTHLY"),
        **replace_in("invoice_lines.csv", "1,mēn.,9.20,21,9.20", "1,mēn.,9.30,21,9.30"),
    }
    changes["manifest.json"] = BASE["manifest.json"].replace("+02:00", "")
    report = do_import(base_loaded, write_snapshot(tmp_path / "snapshot", changes)).report
    problems = [*report.errors, *report.warnings]
    assert len(problems) >= 7, report.listing()
    for problem in problems:
        with language("lv"):
            latvian = gettext(problem.message, **(problem.params or {}))
        with language("en"):
            english = gettext(problem.message, **(problem.params or {}))
        assert latvian != english, problem


def test_latvian_counts_in_the_listing():
    report = Report(limit=2)
    for n in range(21):
        report.error("payments.csv", n + 2, "amount", "vērtība ir obligāta")
    with language("lv"):
        listing = report.listing().splitlines()
        assert listing[0] == "21 kļūda:"
        assert listing[1] == "  payments.csv, rinda 2, kolonna amount: vērtība ir obligāta"
        assert listing[-1] == "  … un vēl 19 kļūdas, kas nav uzskaitītas"
    with language("en"):
        listing = report.listing().splitlines()
        assert listing[0] == "21 errors:"
        assert listing[1] == "  payments.csv, line 2, column amount: a value is required"
        assert listing[-1] == "  … and 19 more errors not listed"


def test_the_warnings_of_a_stored_listing_are_counted_in_either_language():
    """Rows stored before the history counted warnings in `counts` have only the listing,
    in English (before 2026-12-04) or Latvian."""
    for count, latvian, english in ((1, "1 brīdinājums:", "1 warning:"),
                                    (2, "2 brīdinājumi:", "2 warnings:"),
                                    (11, "11 brīdinājumi:", "11 warnings:"),
                                    (21, "21 brīdinājums:", "21 warnings:")):
        report = Report()
        for n in range(count):
            report.warning("customers.csv", n + 2, "reg_no", "tukša rinda izlaista")
        for lang, heading in (("lv", latvian), ("en", english)):
            with language(lang):
                listing = report.listing()
            assert listing.splitlines()[0] == heading
            assert warning_count_of(listing) == count
    assert warning_count_of("3 warnings:\n  customers.csv, line 2: empty line ignored") == 3
    assert warning_count_of("2 kļūdas:\n  …") == 0


def test_the_history_table_in_latvian():
    rows = [{"id": 3, "started_at": "2026-11-29 09:00:00+00:00",
             "finished_at": "2026-11-29 09:00:12.5+00:00", "outcome": "imported",
             "as_of": "2026-11-28 21:00:00+00:00", "source": "billing",
             "counts": '{"customers": 100000, "invoices": 1177084, "warnings": 2}',
             "report": ""},
            {"id": 2, "started_at": "2026-11-28 09:00:00+00:00",
             "finished_at": "2026-11-28 09:00:01+00:00", "outcome": "failed",
             "as_of": "2026-11-28 09:00:00+00:00", "source": "/x", "counts": "{}",
             "report": ""}]
    with language("lv"):
        table = history_table(rows, running_now=False).splitlines()
        assert history_table([], running_now=False) == "Importu vēl nav."
    assert table[0].split() == ["#", "sākts", "(Rīga)", "iznākums", "ilgums", "dati", "uz",
                                "klienti", "rēķini", "maksājumi", "brīd.", "avots"]
    assert " importēts " in table[1] and " 12,5 s " in table[1]
    assert " 100\xa0000 " in table[1] and " 1\xa0177\xa0084 " in table[1]
    assert table[1].split()[-2] == "2"  # the warnings, from `counts`
    assert " neizdevies " in table[2]


def test_numbers_as_each_language_writes_them():
    with language("lv"):
        assert (number(1177084), number(12.5, 1), number(0.04, 1)) == (
            "1\xa0177\xa0084", "12,5", "0,0")
    with language("en"):
        assert (number(1177084), number(12.5, 1)) == ("1,177,084", "12.5")


def test_progress_lines_and_the_summary_in_latvian(import_db, tmp_path):
    out = io.StringIO()
    with language("lv"):
        lines = Lines(out)
        lines.update(0, 100, "payments.csv")
        lines.stage("done")
    assert out.getvalue() == "import: lasa payments.csv (0%)\nimport: pabeigts\n"
    folder = write_snapshot(tmp_path / "snapshot", {
        "manifest.json": BASE["manifest.json"].replace('"t"', '"latviski"')})
    done = cli(import_db, tmp_path, "import", str(folder), lang=None)
    assert done.returncode == 0, done.stderr
    said = done.stdout.splitlines()
    assert said[0].startswith(f"Momentuzņēmums {folder} importēts (") and said[0].endswith(
        " s).")
    assert "  brīdinājumi: 0" in said and said[-1].startswith("Vēsture: imports Nr. ")
    again = cli(import_db, tmp_path, "import", str(folder), lang=None).stdout
    assert "ir tas pats momentuzņēmums, kas importēts pēdējoreiz: nekas nav jādara" in again
