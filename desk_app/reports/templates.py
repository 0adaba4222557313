"""The print layouts: Jinja2 templates in resources/print, with autoescape always on.

A patient named <b>Zoë & "O'Brien"</b> prints exactly so, never as markup.
"""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from desk_app.paths import resource_path


@functools.cache
def _environment() -> Environment:
    """One environment for the app's life, so templates are compiled once."""
    return Environment(
        loader=FileSystemLoader(resource_path("print")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a misspelt name in a layout fails loudly, not as a blank
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)
