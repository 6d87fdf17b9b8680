"""The sheet's page layout and font: shared by the page writer (`sheetpdf`) and the sheet
builder (`sheet`), without fpdf2 (so `sheet` can be imported without loading it)."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto", "/usr/share/fonts/noto-cjk")
REGULAR = "NotoSansCJK-Regular.ttc"   # one face only: each embedded face costs a second per PDF
SC_INDEX = 2                # the Simplified Chinese face inside Noto's collection
BODY = 12                   # pt: the smallest text on the sheet
LINE = 6.2                  # mm per body line
SIGN_SPACE = 34             # mm kept at the bottom for the signatures and the disclaimer


_TOKENS = re.compile(r"[0-9A-Za-z.,%:/_\-]+|\s+|.", re.S)


class SheetError(RuntimeError):
    """The PDF cannot be made on this machine (no CJK font installed)."""


@lru_cache(maxsize=1)
def font() -> str:
    for folder in FONT_DIRS:
        regular = Path(folder) / REGULAR
        if regular.exists():
            return str(regular)
    raise SheetError("这台服务器没有安装中文字体（fonts-noto-cjk），暂时不能生成PDF。")
