"""Territory helpers: postcode -> département code (the only place a postcode is read)."""

from __future__ import annotations

import re

_POSTCODE = re.compile(r"^\d{5}$")


def departement_from_postcode(postcode: str) -> str | None:
    """'13001' -> '13'; Corsica 200xx-201xx -> '2A', 202xx-206xx -> '2B'; '97200' -> '972'.

    Returns None for what is not a French postcode of a département we know (Monaco 980xx,
    Saint-Pierre-et-Miquelon 975xx, the Pacific 98xxx).
    """
    code = postcode.strip().replace(" ", "")
    if not _POSTCODE.match(code):
        return None
    if code.startswith("20"):
        return "2A" if int(code[2:]) < 200 else "2B"
    if code.startswith("97"):
        prefix = code[:3]
        return prefix if prefix in {"971", "972", "973", "974", "976"} else None
    if code.startswith(("98", "99", "00")):
        return None
    return code[:2]
