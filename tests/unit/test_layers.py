"""The layers of design §3 hold: domain < store < reports < ui, and the domain knows no Qt or SQL."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "desk_app"
LAYERS = ["domain", "store", "reports", "ui"]


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def files_of(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def test_every_layer_has_code() -> None:
    for layer in LAYERS:
        assert files_of(layer), f"desk_app/{layer} is empty"


@pytest.mark.parametrize("path", files_of("domain"), ids=lambda p: p.name)
def test_domain_imports_neither_qt_nor_peewee(path: Path) -> None:
    forbidden = {"PySide6", "peewee", "playhouse", "shiboken6", "sqlite3", "jinja2"}
    bad = {m for m in imported_modules(path) if m.split(".")[0] in forbidden}
    assert not bad, f"{path.name} imports {bad}"


# The package's own modules sit above every layer (app, cli, config, logs...), but for paths, which
# every layer may ask where the resources and the data folder are.
ABOVE_THE_LAYERS = sorted(
    module.stem for module in PACKAGE.glob("*.py") if module.stem not in ("__init__", "__main__", "paths")
)


@pytest.mark.parametrize(
    ("layer", "path"),
    [(layer, path) for layer in LAYERS for path in files_of(layer)],
    ids=lambda value: value if isinstance(value, str) else value.name,
)
def test_no_layer_imports_a_higher_one(layer: str, path: Path) -> None:
    higher = LAYERS[LAYERS.index(layer) + 1 :] + ABOVE_THE_LAYERS
    bad = {
        module
        for module in imported_modules(path)
        if module.startswith("desk_app.") and module.split(".")[1] in higher
    }
    assert not bad, f"desk_app/{layer}/{path.name} imports {bad}"


def test_store_and_reports_know_no_widgets() -> None:
    for layer in ("store", "reports"):
        for path in files_of(layer):
            assert "PySide6.QtWidgets" not in imported_modules(path), path
