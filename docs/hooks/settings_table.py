"""MkDocs hook: the settings page's table, written from config.py's reference when the site is built."""

import pathlib
import sys

from mkdocs.exceptions import PluginError

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import config  # noqa: E402  (the project's root is on the path only from here)

PAGE = "settings.md"
MARKER = "<!-- the settings table: config.py's reference, written here when the site is built -->"


def table():
    """The reference as a markdown table: one row per setting, or per settings that share a meaning."""
    lines = ["| setting | default | meaning |", "|---|---|---|"]
    for names, default, meaning in config.reference():
        cells = (", ".join(f"`{name}`" for name in names), default, meaning)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def on_page_markdown(markdown, page, **_):
    """The settings page with its marker replaced by the table; a settings page without the marker stops the build."""
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise PluginError(f"docs/{PAGE} has lost its marker {MARKER}: the table of settings would be missing")
    return markdown.replace(MARKER, table())
