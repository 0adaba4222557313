"""Plain-text rules shared by names, reasons, notes and text fields."""

from __future__ import annotations

import unicodedata

from desk_app.domain.errors import ValidationError

_ALLOWED_CONTROLS = {"\n", "\t"}
# Invisible characters that reverse or re-order the text around them: "Zoë <U+202E>neirB'O" would
# show as another patient's name. Refused everywhere; line and paragraph separators in single lines.
_DIRECTION_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_LINE_SEPARATORS = {"\u2028", "\u2029"}


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
        control = unicodedata.category(character) in ("Cc", "Cs") and character not in allowed
        hidden = character in _DIRECTION_CONTROLS or (not multiline and character in _LINE_SEPARATORS)
        if control or hidden:
            raise ValidationError(f"{label} contains a control character; please retype it.")
    return trimmed
