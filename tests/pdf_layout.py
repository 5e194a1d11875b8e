"""Layout checks on a rendered PDF from poppler's word boxes (``pdftotext -bbox``): words beyond
the page's text area, and words drawn over each other (a cell running into the next column, a
table running over the page number)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

PDFTOTEXT = shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(
    PDFTOTEXT is None, reason="PDF layout checks need poppler-utils (pdftotext)"
)
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)
Box = tuple[int, float, float, float, float, str]  # page, x0, y0, x1, y1, text


def words(pdf: Path) -> tuple[list[Box], dict[int, tuple[float, float]]]:
    """Every word's box, and each page's size, in points."""
    out = subprocess.run(
        [str(PDFTOTEXT), "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    boxes: list[Box] = []
    sizes: dict[int, tuple[float, float]] = {}
    for number, page in enumerate(_PAGE.finditer(out), start=1):
        sizes[number] = (float(page.group(1)), float(page.group(2)))
        for m in _WORD.finditer(page.group(3)):
            x0, y0, x1, y1 = (float(m.group(k)) for k in range(1, 5))
            boxes.append((number, x0, y0, x1, y1, html.unescape(m.group(5))))
    return boxes, sizes


def beyond_page(pdf: Path, margin: float = 2.0) -> list[Box]:
    """Words that reach outside the page (``margin`` points of slack)."""
    boxes, sizes = words(pdf)
    return [
        b
        for b in boxes
        if b[1] < -margin
        or b[2] < -margin
        or b[3] > sizes[b[0]][0] + margin
        or b[4] > sizes[b[0]][1] + margin
    ]


def beyond_text_width(pdf: Path, side: float, slack: float = 2.0) -> list[Box]:
    """Words past the left or right margin (``side`` points wide)."""
    boxes, sizes = words(pdf)
    return [b for b in boxes if b[1] < side - slack or b[3] > sizes[b[0]][0] - side + slack]


def collisions(pdf: Path, min_overlap: float = 0.3) -> list[tuple[Box, Box]]:
    """Pairs of words on one page whose boxes overlap by more than ``min_overlap`` of the
    smaller box's area: text drawn over text."""
    boxes, _ = words(pdf)
    found: list[tuple[Box, Box]] = []
    by_page: dict[int, list[Box]] = {}
    for b in boxes:
        by_page.setdefault(b[0], []).append(b)
    for page in by_page.values():
        page.sort(key=lambda b: b[2])
        for i, a in enumerate(page):
            for b in page[i + 1 :]:
                if b[2] >= a[4]:
                    break  # sorted by top: nothing further down can overlap a
                w = min(a[3], b[3]) - max(a[1], b[1])
                h = min(a[4], b[4]) - max(a[2], b[2])
                if w <= 0 or h <= 0 or _stretched_delimiter(a, b) or _stretched_delimiter(b, a):
                    continue
                if _accent(a) or _accent(b):
                    continue
                smaller = min((a[3] - a[1]) * (a[4] - a[2]), (b[3] - b[1]) * (b[4] - b[2]))
                if smaller > 0 and w * h / smaller > min_overlap:
                    found.append((a, b))
    return found


_DELIMITERS = set("()[]{}|\u27e8\u27e9\u2016")


def _stretched_delimiter(a: Box, b: Box) -> bool:
    """A lone bracket much taller than its neighbour: a stretched math delimiter, whose box
    poppler takes from the glyph's advance rather than its ink, so a comma or subscript set
    tight against it seems to overlap."""
    return a[5] in _DELIMITERS and (a[4] - a[2]) > 1.5 * (b[4] - b[2])


def _accent(a: Box) -> bool:
    """A word of combining marks only: a math accent (a hat over SE), set over its base on
    purpose."""
    return bool(a[5]) and all(unicodedata.combining(c) for c in a[5])
