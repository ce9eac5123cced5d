"""Text normalisation shared by header matching, value maps and (later) name resolution."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# Every Unicode format character (category Cf, Unicode 14: zero-width space and joiners, the byte
# order mark, soft hyphen, direction marks, tags). Invisible, so a value holding one looks like the
# value without it; tests/test_ingest_unit.py checks the class against unicodedata.
INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


def drop_invisible(text: str) -> str:
    """text without format characters (see INVISIBLE): "H29\u200b-1" and "H29-1" are one dossier."""
    return INVISIBLE.sub("", text)


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ→d too), drop spacing and punctuation.

    "Ngày tiếp nhận", "NGAY_TIEP_NHAN" and "ngay tiep  nhan." all fold to "ngaytiepnhan".
    Composed and decomposed Unicode fold the same way.
    """
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub("", without_marks.lower())
