"""Plain-text rules shared by names, reasons, notes and text fields."""

from __future__ import annotations

import unicodedata

from desk_app.domain.errors import ValidationError

_ALLOWED_CONTROLS = {"\n", "\t"}


def check_plain_text(text: str, label: str, max_length: int, *, multiline: bool = False) -> str:
    """Return the text trimmed of outer spaces, or refuse blanks, control characters and excess.

    Inner text is kept exactly as typed (accents, quotes, emoji, right-to-left scripts).
    """
    trimmed = text.strip()
    if not trimmed:
        raise ValidationError(f"{label}: please fill this in.")
    if len(trimmed) > max_length:
        raise ValidationError(f"{label} is too long: {len(trimmed)} characters, at most {max_length}.")
    allowed = _ALLOWED_CONTROLS if multiline else set()
    for character in trimmed:
        if unicodedata.category(character) in ("Cc", "Cs") and character not in allowed:
            raise ValidationError(f"{label} contains a control character; please retype it.")
    return trimmed
