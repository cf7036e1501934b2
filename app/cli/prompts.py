"""`flask prompts check [FOLDER]` and `flask prompts export FOLDER`: prompt files, before they are deployed."""

import shutil
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.calls import prompts
from app.calls.prompts import files

prompts_group = AppGroup("prompts", help="The sentences callers hear, as files: check a folder of them, or export the built-in ones.")


@prompts_group.command("check")
@click.argument("folder", required=False)
def check(folder):
    """Check a folder of prompt files (default: PROMPTS_DIR) for the languages and features configured (exit 1 with one line per problem)."""
    folder = folder or current_app.config["PROMPTS_DIR"]
    if not folder:
        raise click.UsageError("name a folder, or set PROMPTS_DIR")
    config = dict(current_app.config, PROMPTS_DIR=folder)
    try:
        books = prompts.load(config)
    except prompts.PromptsError as error:
        raise click.ClickException(str(error)) from None
    # The configured languages, and every other the folder gives: each must be whole before it is enabled.
    added = [language for language, book in books.items() if "override" in book and language not in prompts.languages(config)]
    languages = [*prompts.languages(config), *added]
    unknown = [language for language in languages if language not in books]
    problems = [f"{folder}: {language}.toml: no such language file, and none built in" for language in unknown]
    problems += prompts.check(books, config, [language for language in languages if language in books])
    if problems:
        click.echo("\n".join(problems), err=True)
        raise SystemExit(1)
    click.echo(f"{folder}: fit for {', '.join(languages)}")


@prompts_group.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def export(folder):
    """Write the built-in prompt files into FOLDER, a starting point for PROMPTS_DIR (never over a file already there)."""
    sources = sorted(files.BUILT_IN.glob("*.toml"))
    there = [str(folder / source.name) for source in sources if (folder / source.name).exists()]
    if there:
        raise click.ClickException(f"{', '.join(there)} already there: export into an empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    for source in sources:
        shutil.copyfile(source, folder / source.name)
        click.echo(folder / source.name)
