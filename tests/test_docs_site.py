"""The README fits on a screen and leads to the site; the settings page names every setting the code reads."""

import pathlib
import re

from app.settings import OTHER_SETTINGS
from config import DEFAULTS
from tests.test_docs_examples import DOCUMENTS, examples

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "settings.md"
LINK = re.compile(r"\]\(([^)#:]+)(?:#[^)]*)?\)")
ROW = re.compile(r"^\| (`[A-Z_0-9]+`(?:, `[A-Z_0-9]+`)*) \| ([^|]*) \|", re.MULTILINE)
# Read still, under its new name's row: "FALLBACK_NUMBER is its old spelling".
OLD_SPELLINGS = {"FALLBACK_NUMBER"}


def rows():
    """(names, default column) of each row of the table."""
    return [(re.findall(r"`([A-Z_0-9]+)`", names), default.strip()) for names, default in ROW.findall(PAGE.read_text())]


def test_every_setting_the_server_reads_has_one_row_and_every_row_is_one():
    documented = [name for names, _ in rows() for name in names]
    assert sorted(documented) == sorted(set(documented)), "a setting has two rows"
    assert set(documented) == {*DEFAULTS, *OTHER_SETTINGS} - OLD_SPELLINGS


def test_a_number_s_default_on_the_page_is_the_code_s():
    for names, column in rows():
        shown = [value for value in re.findall(r"[\d.]+", column.split("(")[0])]
        for name, value in zip(names, shown):
            default = DEFAULTS.get(name)
            if isinstance(default, (int, float)) and not isinstance(default, bool):
                assert float(value) == default, f"{name}: the page says {value}, the code {default}"


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
