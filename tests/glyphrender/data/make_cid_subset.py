"""Makes NotoSansCJKjp-cid-subset.otf, the CID-keyed CFF font of the assemble tests.

Face 0 (Japanese) of Noto Sans CJK Regular (fonts/NotoSansCJK-Regular.ttc from Debian's
fonts-noto-cjk 1:20220127+repack1-1), subset by fontTools to 300 ideographs (U+5000-U+512B)
and two characters whose glyphs have high CIDs (U+2C081: CID 65,529; U+1F12C), no layout
tables. The subset stays CID-keyed and keeps the original CIDs, so a font that counts new
CIDs on from the highest one passes 65,535 after six glyphs. Run from the repository root:

    python tests/glyphrender/data/make_cid_subset.py
"""

from __future__ import annotations

from pathlib import Path

from fontTools import subset

SOURCE = Path("fonts/NotoSansCJK-Regular.ttc")
OUT = Path(__file__).with_name("NotoSansCJKjp-cid-subset.otf")
UNICODES = [*range(0x5000, 0x5000 + 300), 0x2C081, 0x1F12C]


def main() -> None:
    options = subset.Options()
    options.font_number = 0
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG"]
    font = subset.load_font(str(SOURCE), options, lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=UNICODES)
    subsetter.subset(font)
    subset.save_font(font, str(OUT), options)


if __name__ == "__main__":
    main()
