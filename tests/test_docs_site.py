"""The README fits on a screen and leads to the site; the settings page is written from the settings the code reads."""

import importlib.util
import pathlib
import re
import sys
from types import SimpleNamespace

import pytest
from mkdocs.exceptions import PluginError

import config
from app import settings as app_settings
from app.settings import OTHER_SETTINGS
from config import DEFAULTS, REFERENCE, TestConfig
from tests.test_docs_examples import DOCUMENTS, examples
from tests.test_entry_points import run

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "settings.md"
LINK = re.compile(r"\]\(([^)#:]+)(?:#[^)]*)?\)")
ROW = re.compile(r"^\| (`[A-Z_0-9]+`(?:, `[A-Z_0-9]+`)*) \| ([^|]*) \| (.*) \|$", re.MULTILINE)
# Read still, under its new name's row: "FALLBACK_NUMBER is its old spelling".
OLD_SPELLINGS = {"FALLBACK_NUMBER"}
# Where config.py reads a setting: its readers, the required ones, those it lists for others, the environment itself.
READ_IN_CONFIG = re.compile(r'(?:_str|_int|_float|_flag|_required|_listed|environ\.get)\(\s*"([A-Z][A-Z_0-9]*)"')
# Where the app reads its configuration: config.get("NAME"), config["NAME"], and gunicorn.conf.py's settings.NAME.
READ_IN_APP = re.compile(r'config(?:\.get\(|\[)["\']([A-Z][A-Z_0-9]*)["\']|\bsettings\.([A-Z][A-Z_0-9]*)\b')
# And straight from the environment: os.environ.get("NAME"), os.environ["NAME"], os.getenv("NAME").
READ_FROM_ENVIRONMENT = re.compile(r'os\.(?:environ(?:\.get\(|\.setdefault\(|\[)|getenv\()["\']([A-Z][A-Z_0-9]*)["\']')
# Names that are the platform's or a tool's, not this server's settings.
NOT_SETTINGS = {"FLASK_RUN_FROM_CLI"}
WRITTEN_BY_APP = re.compile(r'config\["([A-Z][A-Z_0-9]*)"\] =')

spec = importlib.util.spec_from_file_location("settings_table", ROOT / "docs" / "hooks" / "settings_table.py")
hook = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hook)


def built(markdown, page="settings.md"):
    """A page's markdown as the site is built from it: the hook has written the settings table in."""
    return hook.on_page_markdown(markdown, page=SimpleNamespace(file=SimpleNamespace(src_uri=page)), config=None, files=None)


def rows():
    """(names, default column, meaning) of each row of the built settings page's table."""
    return [
        (re.findall(r"`([A-Z_0-9]+)`", names), default.strip(), meaning.strip())
        for names, default, meaning in ROW.findall(built(PAGE.read_text()))
    ]


def test_the_built_settings_page_has_the_table_where_its_markers_were():
    page = built(PAGE.read_text())
    assert hook.MARKER not in page and hook.END not in page
    assert "| setting | default | meaning |\n|---|---|---|\n| `APP_ENV` | `production` (" in page
    assert "\n| `CODE_LENGTH` | 6 | digits asked for; match the Verify service |\n" in page
    assert "\n| `ACCOUNT_MIN_DIGITS`, `ACCOUNT_MAX_DIGITS` | 6, 12 | digits an account number has (1–30) |\n" in page
    assert page.startswith("# Settings\n")


def test_the_settings_page_as_it_reads_on_github_holds_the_table_config_py_writes():
    # Rewrite it with `python docs/hooks/settings_table.py` after changing a setting in config.py.
    page = PAGE.read_text()
    assert page == hook.written(page), (
        "docs/settings.md's table is not what config.py says: change the setting's doc= or shown= in config.py "
        "(not the table), then run python docs/hooks/settings_table.py"
    )
    assert f"{hook.MARKER}\n| setting | default | meaning |\n" in page


def test_only_the_settings_page_gets_the_table_and_it_cannot_lose_its_markers():
    assert built(PAGE.read_text(), page="security.md") == PAGE.read_text()
    with pytest.raises(PluginError, match="lost a marker"):
        built("# Settings\n\nThe table went missing.\n")
    with pytest.raises(PluginError, match="the end of the settings table"):
        built(f"# Settings\n\n{hook.MARKER}\n| setting | default | meaning |\n")
    with pytest.raises(PluginError, match="twice"):
        built(PAGE.read_text() + f"\n{hook.MARKER}\n| `CODE_LENGTH` | 4 | stale |\n{hook.END}\n")


def test_a_stale_table_is_written_over_with_config_py_s():
    stale = PAGE.read_text().replace("| `CODE_LENGTH` | 6 |", "| `CODE_LENGTH` | 4 |")
    assert stale != PAGE.read_text()
    assert hook.written(stale) == PAGE.read_text()


def test_every_setting_the_server_reads_has_one_row_and_every_row_is_one():
    documented = [name for names, _, _ in rows() for name in names]
    assert sorted(documented) == sorted(set(documented)), "a setting has two rows"
    assert set(documented) == {*DEFAULTS, *OTHER_SETTINGS} - OLD_SPELLINGS


def test_every_setting_config_py_reads_has_a_row_with_its_default_and_a_meaning():
    read = set(READ_IN_CONFIG.findall((ROOT / "config.py").read_text()))
    assert {"CODE_LENGTH", "SECRET_KEY", "APP_ENV", "WEB_CONCURRENCY", "FALLBACK_NUMBER"} <= read
    shown = {name: (default, meaning) for names, default, meaning in rows() for name in names}
    assert read - OLD_SPELLINGS <= set(shown)
    for setting in REFERENCE:
        default, meaning = shown[setting.name]
        assert default and meaning, setting.name
        if "{}" in setting.shown:
            assert config._default_text(setting.default) in default, setting.name


def test_the_defaults_listed_for_gunicorn_are_gunicorn_conf_py_s():
    text = (ROOT / "gunicorn.conf.py").read_text()
    read = dict(re.findall(r'_count\("([A-Z_]+)", (\d+)\)', text))
    read |= dict(re.findall(r'os\.environ\.get\("([A-Z_]+)"(?:, |\) or )"([^"]*)"\)?', text))
    assert set(read) == {"WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_WORKER_CONNECTIONS", "GUNICORN_WORKER_CLASS", "FORWARDED_ALLOW_IPS"}
    listed = {setting.name: setting.default for setting in REFERENCE}
    assert {name: str(listed[name]) for name in read} == read


def test_a_number_s_default_on_the_page_is_the_code_s():
    for names, column, _ in rows():
        shown = [value for value in re.findall(r"[\d.]+", column.split("(")[0])]
        for name, value in zip(names, shown):
            default = DEFAULTS.get(name)
            if isinstance(default, (int, float)) and not isinstance(default, bool):
                assert float(value) == default, f"{name}: the page says {value}, the code {default}"


def test_every_name_the_app_reads_from_its_configuration_is_a_setting_or_its_own():
    files = [*ROOT.glob("app/**/*.py"), ROOT / "gunicorn.conf.py", ROOT / "web.py", ROOT / "wsgi.py"]
    sources = [path.read_text() for path in files]
    read = {a or b for text in sources for a, b in READ_IN_APP.findall(text)}
    # app/settings.py's own names (settings.LOG_LEVELS), where the module, not a configuration, is called settings.
    read -= {name for name in read if hasattr(app_settings, name)}
    assert {"CODE_LENGTH", "HOST", "PORT", "SECRET_KEY"} <= read
    settings = {setting.name for setting in REFERENCE} | DEFAULTS.keys()
    # The configuration's own keys, not read from the environment, and what the app works out at start and keeps there.
    own = {name for name in dir(TestConfig) if name.isupper()} - settings - {*READ_IN_CONFIG.findall((ROOT / "config.py").read_text())}
    own |= {name for text in sources for name in WRITTEN_BY_APP.findall(text)}
    assert own - settings == {"ENV_NAME", "TESTING", "REQUIRED", "UNREADABLE", "USE_LOCAL_VERIFY", "PROMPT_BOOKS"}
    assert read - settings - own == set()


def test_every_name_the_app_reads_from_the_environment_is_a_setting():
    files = [*ROOT.glob("app/**/*.py"), ROOT / "gunicorn.conf.py", ROOT / "web.py", ROOT / "wsgi.py"]
    read = {name for path in files for name in READ_FROM_ENVIRONMENT.findall(path.read_text())}
    assert {"WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR"} <= read
    settings = {setting.name for setting in REFERENCE} | DEFAULTS.keys()
    assert read - settings - NOT_SETTINGS == set()


def test_python_m_config_prints_the_same_reference_as_text_even_with_a_setting_wrong():
    done = run([sys.executable, "-m", "config"], CODE_LENGTH="six")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[lines.index("CODE_LENGTH  (default: 6)") + 1] == "    digits asked for; match the Verify service"
    assert "ACCOUNT_MIN_DIGITS, ACCOUNT_MAX_DIGITS  (default: 6, 12)" in lines
    assert [line.split("  (default: ")[0] for line in lines if not line.startswith(" ")] == [", ".join(names) for names, _, _ in rows()]
    assert "Operating it (docs/operating.md)" in done.stdout and "](" not in done.stdout


def test_the_readme_fits_on_a_screen_and_its_links_lead_to_pages_that_exist():
    readme = (ROOT / "README.md").read_text()
    assert readme.count("\n") <= 250
    links = LINK.findall(readme)
    assert "docs/settings.md" in links
    assert [link for link in links if not (ROOT / link).is_file()] == []


def test_the_examples_of_every_page_of_the_site_are_run():
    pages = sorted((ROOT / "docs").glob("**/*.md"))
    assert set(pages) <= set(DOCUMENTS)
    assert any(case.id.startswith("getting-started.md:") for case in examples(pages))


def test_the_pages_images_are_beside_them():
    for page in (ROOT / "docs").glob("**/*.md"):
        for image in re.findall(r'!\[[^]]*\]\(([^)]+)\)|<img src="([^"]+)"', page.read_text()):
            path = next(part for part in image if part)
            assert (page.parent / path).is_file(), f"{page.name}: {path}"
