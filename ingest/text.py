"""Text normalisation shared by header matching, value maps and (later) name resolution."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ→d too), drop spacing and punctuation.

    "Ngày tiếp nhận", "NGAY_TIEP_NHAN" and "ngay tiep  nhan." all fold to "ngaytiepnhan".
    Composed and decomposed Unicode fold the same way.
    """
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub("", without_marks.lower())
