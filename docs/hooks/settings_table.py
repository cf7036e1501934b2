"""The settings page's table, written from config.py's reference: into docs/settings.md, and again when the site is built.

    python docs/hooks/settings_table.py    # rewrites the table in docs/settings.md

The table is kept in the page, so that it reads on GitHub too; tests/test_docs_site.py fails when
it is not what config.py says. As an MkDocs hook it writes the table afresh into the built page.
"""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import config  # noqa: E402  (the project's root is on the path only from here)

PAGE = "settings.md"
MARKER = "<!-- the settings table, written from config.py's doc= and shown= by python docs/hooks/settings_table.py: edit those, not here -->"
END = "<!-- the end of the settings table -->"


class LostMarker(Exception):
    """The settings page has lost a marker of its table."""


def table():
    """The reference as a markdown table: one row per setting, or per settings that share a meaning."""
    lines = ["| setting | default | meaning |", "|---|---|---|"]
    for names, default, meaning in config.reference():
        cells = (", ".join(f"`{name}`" for name in names), default, meaning)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def written(markdown, markers=True):
    """The page with config.py's table between its markers (and the markers, with `markers`); whatever was between them is replaced."""
    before, found, rest = markdown.partition(MARKER)
    _, ended, after = rest.partition(END)
    if not found or not ended:
        raise LostMarker(f"docs/{PAGE} has lost a marker of its table ({MARKER if not found else END}): the settings would be missing")
    if MARKER in after or END in after:
        raise LostMarker(f"docs/{PAGE} has the markers of its table twice (a merge?): keep one pair")
    return before + (f"{MARKER}\n{table()}\n{END}" if markers else table()) + after


def on_page_markdown(markdown, page, **_):
    """The settings page as the site shows it: the table afresh, without its markers; a lost marker stops the build."""
    if page.file.src_uri != PAGE:
        return markdown
    from mkdocs.exceptions import PluginError

    try:
        return written(markdown, markers=False)
    except LostMarker as lost:
        raise PluginError(str(lost)) from None


if __name__ == "__main__":
    path = ROOT / "docs" / PAGE
    path.write_text(written(path.read_text()))
    print(f"docs/{PAGE}: the table of settings written from config.py")
