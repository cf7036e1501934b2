"""The folders are the architecture: imports run one way, from the tools down to caller numbers."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Lowest first. A module may import from a lower layer, and within its own part; never upward,
# and never sideways into another part of its layer (storage and Twilio's side know nothing of
# each other).
LAYERS = [
    {"app.numbers", "app.emails", "app.outbound"},  # caller numbers and emails: parsing, masking, the keyed hash; outbound HTTP
    {"app.storage", "app.twilio"},  # the database; Twilio's side
    {"app.calls", "app.simulator"},  # what a caller walks through; the phone without a phone
    {"app.cli", "app.ops", "app.api"},  # the tools of the people who run it; the API other systems call
    {"app"},  # create_app (app/factory.py) and its start-up checks (app/settings.py)
]
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}


def part_of(module):
    """The part of the system a module belongs to: `app.calls.voice` -> `app.calls`, `app.factory` -> `app`."""
    part = ".".join(module.split(".")[:2])
    return part if part in RANK else "app"


def imported(source, module, package=False):
    """The app modules a module's source imports, resolved to dotted names."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                names = module.split(".")
                # `from . import x` in a package's __init__ means the package itself.
                parent = names[: len(names) - node.level + package]
                base = ".".join(parent + ([base] if base else []))
            # `from app import cli` imports the package app.cli, `from app.calls import voice` a module.
            found.update(f"{base}.{alias.name}" if base == "app" else base for alias in node.names)
    return {name for name in found if name == "app" or name.startswith("app.")}


def violations(module, source, package=False):
    """Each import of `module` that runs upward or sideways, as 'a -> b'."""
    own = part_of(module)
    wrong = []
    for target in sorted(imported(source, module, package)):
        other = part_of(target)
        if other == own or other not in RANK:
            continue
        if RANK[other] >= RANK[own]:
            wrong.append(f"{module} -> {target}")
    return wrong


def app_modules():
    """(dotted name, source, is a package) of every module under app/."""
    for path in sorted((ROOT / "app").rglob("*.py")):
        dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        yield dotted.removesuffix(".__init__"), path.read_text(), path.name == "__init__.py"


def test_every_folder_of_app_is_a_part_with_a_layer():
    folders = {f"app.{path.name}" for path in (ROOT / "app").iterdir() if (path / "__init__.py").exists()}
    assert folders <= set(RANK)


def test_imports_run_one_way():
    wrong = [line for module, source, package in app_modules() for line in violations(module, source, package)]
    assert wrong == []


@pytest.mark.parametrize(
    "module, source",
    [
        ("app.storage.records", "from app.calls import verification"),  # upward
        ("app.storage.records", "from app.twilio.verify import VerifyService"),  # sideways
        ("app.twilio.standin", "import app.storage.database"),
        ("app.numbers", "from app import settings"),
        ("app.calls.voice", "from app.cli.call import call_command"),
        ("app.calls.voice", "from ..cli import call"),  # relative
        ("app.storage", "from ..calls import voice"),  # relative, in a package's __init__
        ("app.simulator.engine", "from app.calls.prompts import PROMPTS"),  # sideways
    ],
)
def test_an_import_against_the_layers_is_caught(module, source):
    assert violations(module, source, package=module == "app.storage") != []


@pytest.mark.parametrize(
    "module, source",
    [
        ("app.calls.voice", "from app.storage import records\nfrom app.calls.twiml import twiml"),
        ("app.storage.lockout", "from app.storage.records import now\nfrom app.numbers import mask"),
        ("app.cli.call", "from app.simulator import place_call"),
        ("app.storage.records", "from . import database\nfrom .tables import verifications"),
        ("app", "from app.calls import voice\nfrom app import cli"),
    ],
)
def test_an_import_down_the_layers_is_allowed(module, source):
    assert violations(module, source) == []


def test_a_relative_import_in_a_package_is_its_own():
    assert violations("app.calls", "from . import voice", package=True) == []
    assert violations("app.calls", "from .. import cli", package=True) == ["app.calls -> app.cli"]


def test_the_old_flat_paths_still_work_with_a_warning():
    from app.calls import verification

    with pytest.warns(DeprecationWarning, match="app.verification has moved to app.calls.verification"):
        from app import verification as old

    assert old is verification
    with pytest.raises(ImportError):
        from app import nonsense  # noqa: F401
