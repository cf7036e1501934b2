"""`flask accounts import|add|remove|show`: bad rows are reported and skipped, a bad file is one line, nothing half-imported."""

import pytest
import sqlalchemy

from app.storage import accounts as stored
from app.storage.tables import accounts

SAMPLE = (
    "account_number,phone\n"
    "12345678,+14155550106\n"
    "87654321,+1 (415) 555-0142\n"
    "11112222,555-0100\n"
    "12345678,+14155550199\n"
    "abc,+14155550106\n"
    "1,+14155550106\n"
    "33334444,+14155550100\n"
)


@pytest.fixture
def flask_cli(app, tmp_path):
    """Run `flask …` on the test's app: `flask_cli("accounts", "show")`; files named as `file:<text>`."""

    def run(*args, text=None, data=None):
        if text is not None or data is not None:
            path = tmp_path / "accounts.csv"
            path.write_bytes(data if data is not None else text.encode())
            args = [str(path) if arg == "FILE" else arg for arg in args]
        return app.test_cli_runner().invoke(args=list(args))

    return run


def stored_rows(db):
    with db.connect() as connection:
        return [dict(row) for row in connection.execute(sqlalchemy.select(accounts)).mappings()]


def test_import_keeps_the_good_rows_and_reports_each_bad_one_by_line_and_fails(flask_cli, db):
    result = flask_cli("accounts", "import", "FILE", text=SAMPLE)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "line 4: rejected, the phone is not a number in international form (+ and country code)",
        "line 5: rejected, the account number is on line 2 already",
        "line 6: rejected, the account number is not digits 0-9",
        "line 7: rejected, the account number has 1 digit, not 6 to 12 (ACCOUNT_MIN_DIGITS, ACCOUNT_MAX_DIGITS)",
        "3 accepted (3 new, 0 updated), 4 rejected, 0 removed.",
        "Error: 4 row(s) rejected, listed above by line: correct them and import the file again",
    ]
    assert "555-0100" not in result.output and "abc" not in result.output
    assert len(stored_rows(db)) == 3


def test_an_import_with_every_row_accepted_succeeds(flask_cli, db):
    result = flask_cli("accounts", "import", "FILE", text="account_number,phone\n12345678,+14155550106\n")
    assert result.exit_code == 0, result.output
    assert result.output == "1 accepted (1 new, 0 updated), 0 rejected, 0 removed.\n"


def test_importing_the_same_file_again_changes_nothing_but_the_time(flask_cli, db, app):
    flask_cli("accounts", "import", "FILE", text=SAMPLE)
    result = flask_cli("accounts", "import", "FILE", text=SAMPLE)
    assert result.output.splitlines()[-2] == "3 accepted (0 new, 3 updated), 4 rejected, 0 removed."
    assert sorted(row["phone_masked"] for row in stored_rows(db)) == ["+1•••••••00", "+1•••••••06", "+1•••••••42"]
    result = flask_cli("accounts", "show", "87654321")
    assert result.output == "Phone on file: +1•••••••42.\n"


def test_replace_removes_the_accounts_the_file_no_longer_lists(flask_cli, db):
    flask_cli("accounts", "import", "FILE", text=SAMPLE)
    result = flask_cli("accounts", "import", "--replace", "FILE", text="account_number,phone\n87654321,+14155550142\n")
    assert result.output == "1 accepted (0 new, 1 updated), 0 rejected, 2 removed.\n"
    assert len(stored_rows(db)) == 1
    assert flask_cli("accounts", "show", "12345678").output == "Error: no such account\n"


def test_replace_with_no_good_row_removes_nothing(flask_cli, db):
    flask_cli("accounts", "import", "FILE", text=SAMPLE)
    result = flask_cli("accounts", "import", "--replace", "FILE", text="account_number,phone\nabc,def\n")
    assert result.exit_code == 1
    assert "--replace would remove every account, nothing changed" in result.output
    assert len(stored_rows(db)) == 3


@pytest.mark.parametrize(
    "data, error",
    [
        (b"", "the file is empty"),
        (b"\n\n", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "the file is not a CSV file (not UTF-8 text)"),
        (b"12345678,+14155550106\n", "the file has no header line account_number,phone"),
        (b"name,email\nAda,ada@example.com\n", "the file has no header line account_number,phone"),
        (b'account_number,phone\n"12345678,+1415\n', "the file is not a CSV file"),
    ],
    ids=["empty", "blank lines", "binary", "no header", "other columns", "unclosed quote"],
)
def test_a_file_that_is_no_accounts_csv_is_one_clear_line(flask_cli, db, data, error):
    result = flask_cli("accounts", "import", "FILE", data=data)
    assert result.exit_code == 1
    assert len(result.output.splitlines()) == 1
    assert error in result.output
    assert "Traceback" not in result.output
    assert stored_rows(db) == []


def test_a_file_that_does_not_exist_is_one_line(flask_cli):
    result = flask_cli("accounts", "import", "/nonexistent/accounts.csv")
    assert result.exit_code == 2
    assert "No such file or directory" in result.output


def test_a_crash_mid_import_leaves_nothing_half_imported(flask_cli, db, monkeypatch):
    flask_cli("accounts", "import", "FILE", text="account_number,phone\n99998888,+14155550106\n")
    save = stored.save

    def save_then_crash(*args, **kwargs):
        save(*args, **kwargs)
        raise sqlalchemy.exc.OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(stored, "save", save_then_crash)
    result = flask_cli("accounts", "import", "--replace", "FILE", text=SAMPLE)
    assert result.exit_code == 1
    assert "OperationalError: disk full" in result.output
    assert [row["phone_masked"] for row in stored_rows(db)] == ["+1•••••••06"]
    assert flask_cli("accounts", "show", "99998888").output == "Phone on file: +1•••••••06.\n"


def test_add_remove_and_show_never_print_the_whole_phone(flask_cli):
    assert flask_cli("accounts", "add", "1234-5678", "+1 415 555 0142").output == "Account added: phone on file +1•••••••42.\n"
    assert flask_cli("accounts", "add", "12345678", "+14155550143").output == "Account updated: phone on file +1•••••••43.\n"
    listing = flask_cli("accounts", "show").output
    assert listing.startswith("1 account(s); account numbers are stored as keyed hashes, phones encrypted.\n")
    assert "+1•••••••43" in listing and "12345678" not in listing and "5550143" not in listing
    assert flask_cli("accounts", "remove", "12345678").output == "Account removed.\n"


@pytest.mark.parametrize("command", ["show", "remove"])
def test_show_or_remove_of_an_unknown_account_fails(flask_cli, command):
    flask_cli("accounts", "add", "12345678", "+14155550142")
    result = flask_cli("accounts", command, "87654321")
    assert result.exit_code == 1
    assert result.output == "Error: no such account\n"


@pytest.mark.parametrize("number, phone", [("12ab5678", "+14155550142"), ("12345678", "4155550142"), ("12345678", "+1 555")])
def test_add_refuses_what_is_not_an_account_and_a_phone(flask_cli, number, phone):
    result = flask_cli("accounts", "add", number, phone)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_an_email_column_is_imported_encrypted_and_shown_masked(flask_cli, db):
    text = "account_number,phone,email\n12345678,+14155550106,Jane.Doe@Example.com\n87654321,+14155550142,\n11112222,+14155550100,not-an-address\n"
    result = flask_cli("accounts", "import", "FILE", text=text)
    assert result.output.splitlines()[:2] == [
        "line 4: rejected, the email is not an address (name@example.com)",
        "2 accepted (2 new, 0 updated), 1 rejected, 0 removed.",
    ]
    assert "not-an-address" not in result.output
    rows = {row["phone_masked"]: row for row in stored_rows(db)}
    assert rows["+1•••••••06"]["email_masked"] == "J•••@example.com"
    assert "Doe" not in rows["+1•••••••06"]["email_encrypted"]
    assert rows["+1•••••••42"]["email_encrypted"] is None
    assert flask_cli("accounts", "show", "12345678").output == "Phone on file: +1•••••••06.\nEmail on file: J•••@example.com.\n"
    assert flask_cli("accounts", "show", "87654321").output == "Phone on file: +1•••••••42.\n"
    assert "J•••@example.com" in flask_cli("accounts", "show").output


def test_a_file_without_the_email_column_keeps_the_emails_on_file(flask_cli, db):
    flask_cli("accounts", "import", "FILE", text="account_number,phone,email\n12345678,+14155550106,jane@example.com\n")
    result = flask_cli("accounts", "import", "FILE", text="account_number,phone\n12345678,+14155550107\n")
    assert result.output == "1 accepted (0 new, 1 updated), 0 rejected, 0 removed.\n"
    assert flask_cli("accounts", "show", "12345678").output == "Phone on file: +1•••••••07.\nEmail on file: j•••@example.com.\n"
    flask_cli("accounts", "import", "FILE", text="account_number,phone,email\n12345678,+14155550107,\n")
    assert flask_cli("accounts", "show", "12345678").output == "Phone on file: +1•••••••07.\n"


def test_add_takes_an_email_and_prints_it_masked(flask_cli):
    result = flask_cli("accounts", "add", "12345678", "+14155550142", "--email", "jane@example.com")
    assert result.output == "Account added: phone on file +1•••••••42 and email j•••@example.com.\n"
    result = flask_cli("accounts", "add", "12345678", "+14155550142", "--email", "jane")
    assert result.exit_code == 2 and "the email is not an address" in result.output
