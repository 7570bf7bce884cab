"""`orderdesk walkthrough export`: a walkthrough played unattended, as pictures to publish.

Formats: `svg` (Textual's screenshot per step), `png` (one per step), `gif` (one frame
per step, `--delay` seconds each), `cast` (an asciinema v2 recording: a JSON header line,
then one `[time, "o", data]` event per step redrawing the whole screen) and `html` (a
gallery page with the step captions, beside its PNGs). Export plays through the same
checker as `check`: it waits for each step's `expect`, and a step that does not show it
fails the export (exit 1), with nothing written.

PNGs are drawn from the terminal grid itself, cell by cell, never from the SVG (whose
font and spacing are left to the viewer): every cell is `CELL` pixels, so columns line
up and spaces keep their width. The text font is JetBrains Mono (a dependency,
`fontpkg-jetbrains-mono`); a glyph it lacks (⋮, ⏎, ✓) comes from the DejaVu Sans symbols
this package ships (fonts/, its licence beside it), centred in its cell. Box-drawing
lines and block elements are drawn as shapes, as terminals draw them, so borders join
and scroll bars fill their cells exactly.
"""

from __future__ import annotations

import functools
import html
import json
import time
import unicodedata
from pathlib import Path

import fontpkg
from PIL import Image, ImageDraw, ImageFont
from rich.cells import cell_len
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import SVG_EXPORT_THEME

from core.output import OutputError, output_file
from tui.walkthroughs.check import Outcome

FORMATS = ("svg", "png", "gif", "cast", "html")
FONT_SIZE = 16  # pixels
SYMBOLS = Path(__file__).parent / "fonts" / "DejaVuSans-Symbols.ttf"
THEME = SVG_EXPORT_THEME  # the colours of Textual's own screenshots


# -- fonts ----------------------------------------------------------------------------------------
@functools.cache
def fonts():
    """(regular, bold, italic, bold italic, symbols) at FONT_SIZE."""
    regular_path = Path(fontpkg.path("JetBrains Mono"))
    italic_path = next(regular_path.parent.glob("*Italic*.ttf"), regular_path)

    def face(path: Path, weight: int):
        font = ImageFont.truetype(str(path), FONT_SIZE)
        try:
            font.set_variation_by_axes([weight])
        except OSError:  # pragma: no cover - a static font
            pass
        return font

    return (face(regular_path, 400), face(regular_path, 700), face(italic_path, 400), face(italic_path, 700),
            ImageFont.truetype(str(SYMBOLS), FONT_SIZE))


@functools.cache
def cell() -> tuple[int, int]:
    """A cell's (width, height) in pixels: the font's advance, and its ascent plus descent."""
    regular = fonts()[0]
    ascent, descent = regular.getmetrics()
    return round(regular.getlength("M")), ascent + descent


@functools.cache
def _has_glyph(font_index: int, char: str) -> bool:
    font = fonts()[font_index]
    missing = bytes(font.getmask(chr(0x10FFFD)))  # a private-use code point: the .notdef box
    return char.isspace() or bytes(font.getmask(char)) != missing


# -- cells drawn as shapes ------------------------------------------------------------------------
EIGHTHS = {"▁": (0, 7, 8, 8), "▂": (0, 6, 8, 8), "▃": (0, 5, 8, 8), "▄": (0, 4, 8, 8), "▅": (0, 3, 8, 8),
           "▆": (0, 2, 8, 8), "▇": (0, 1, 8, 8), "█": (0, 0, 8, 8), "▀": (0, 0, 8, 4), "▔": (0, 0, 8, 1),
           "▉": (0, 0, 7, 8), "▊": (0, 0, 6, 8), "▋": (0, 0, 5, 8), "▌": (0, 0, 4, 8), "▍": (0, 0, 3, 8),
           "▎": (0, 0, 2, 8), "▏": (0, 0, 1, 8), "▐": (4, 0, 8, 8), "▕": (7, 0, 8, 8)}  # (x0, y0, x1, y1) in 8ths
QUADRANTS = {"▖": "3", "▗": "4", "▘": "1", "▝": "2", "▙": "134", "▚": "14", "▛": "123", "▜": "124",
             "▞": "23", "▟": "234"}  # 1 2 / 3 4
SHADES = {"░": 0.25, "▒": 0.5, "▓": 0.75}
WEIGHTS = {"LIGHT": 1, "SINGLE": 1, "HEAVY": 2, "DOUBLE": 3}
DIRECTIONS = {"UP": ("up",), "DOWN": ("down",), "LEFT": ("left",), "RIGHT": ("right",),
              "VERTICAL": ("up", "down"), "HORIZONTAL": ("left", "right")}


@functools.cache
def box_lines(char: str) -> dict[str, int] | None:
    """A box-drawing character's lines from the centre ({direction: 1 light, 2 heavy,
    3 double}), read from its Unicode name; None for dashes and diagonals (the font's)."""
    name = unicodedata.name(char, "")
    if not name.startswith("BOX DRAWINGS ") or any(w in name for w in ("DASH", "DIAGONAL")):
        return None
    lines: dict[str, int] = {}
    weight = last = 0
    pending: list[str] = []
    for word in name.removeprefix("BOX DRAWINGS ").split():
        if word in WEIGHTS:
            last = WEIGHTS[word]
            if pending:  # "DOWN LIGHT": the weight follows its directions
                lines.update(dict.fromkeys(pending, last))
                pending = []
            else:  # "LIGHT DOWN": it goes before them
                weight = last
        elif word in DIRECTIONS:
            if weight:
                lines.update(dict.fromkeys(DIRECTIONS[word], weight))
            else:
                pending += DIRECTIONS[word]
        elif word == "AND":
            weight = 0
    lines.update(dict.fromkeys(pending, last or 1))
    return lines or None


def _draw_shape(draw, char: str, x: int, y: int, w: int, h: int, fg, bg) -> bool:
    """Draw `char` as a shape in the cell at (x, y); False when it is not one."""
    if char in EIGHTHS:
        x0, y0, x1, y1 = EIGHTHS[char]
        draw.rectangle([x + x0 * w // 8, y + y0 * h // 8, x + x1 * w // 8 - 1, y + y1 * h // 8 - 1], fill=fg)
        return True
    if char in QUADRANTS:
        for q in QUADRANTS[char]:
            left, top = (q in "24") * (w // 2), (q in "34") * (h // 2)
            right, bottom = (w // 2 if q in "13" else w), (h // 2 if q in "12" else h)
            draw.rectangle([x + left, y + top, x + right - 1, y + bottom - 1], fill=fg)
        return True
    if char in SHADES:
        share = SHADES[char]
        draw.rectangle([x, y, x + w - 1, y + h - 1], fill=tuple(round(f * share + b * (1 - share))
                                                                  for f, b in zip(fg, bg)))
        return True
    lines = box_lines(char)
    if lines is None:
        return False
    thin = max(1, round(w / 9))
    cx, cy = x + w // 2, y + h // 2
    for direction, weight in lines.items():
        offsets = (-thin, thin) if weight == 3 else (0,)
        size = thin * 2 if weight == 2 else thin
        for off in offsets:
            half = size // 2
            if direction in ("left", "right"):
                x0, x1 = (x, cx + half) if direction == "left" else (cx - half, x + w - 1)
                draw.rectangle([x0, cy + off - half, x1, cy + off - half + size - 1], fill=fg)
            else:
                y0, y1 = (y, cy + half) if direction == "up" else (cy - half, y + h - 1)
                draw.rectangle([cx + off - half, y0, cx + off - half + size - 1, y1], fill=fg)
    return True


# -- the grid as a picture ------------------------------------------------------------------------
def _colors(style: Style) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """A cell's (foreground, background), as rich's SVG export works them out."""
    fg = THEME.foreground_color if style.color is None or style.color.is_default \
        else style.color.get_truecolor(THEME)
    bg = THEME.background_color if style.bgcolor is None or style.bgcolor.is_default \
        else style.bgcolor.get_truecolor(THEME)
    if style.reverse:
        fg, bg = bg, fg
    fg, bg = tuple(fg), tuple(bg)
    if style.dim:
        fg = tuple(round(f * 0.6 + b * 0.4) for f, b in zip(fg, bg))
    return fg, bg


def render_png(lines: list[list[Segment]], columns: int):
    """The terminal grid as a PIL image of exactly columns × rows cells."""
    w, h = cell()
    faces = fonts()
    ascent = faces[0].getmetrics()[0]
    image = Image.new("RGB", (columns * w, len(lines) * h), tuple(THEME.background_color))
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        col = 0
        top = row * h
        for text, style, _ in line:
            style = style or Style()
            fg, bg = _colors(style)
            face = (style.bold or 0) + 2 * (style.italic or 0)
            for char in text:
                width = cell_len(char)
                if not width:
                    continue  # a combining mark: drawn with its base by the font, if at all
                left = col * w
                draw.rectangle([left, top, left + width * w - 1, top + h - 1], fill=bg)
                if not char.isspace() and not _draw_shape(draw, char, left, top, w * width, h, fg, bg):
                    index = face if _has_glyph(face, char) else (0 if _has_glyph(0, char) else 4)
                    font = faces[index]
                    shift = (width * w - font.getlength(char)) / 2  # a glyph narrower or wider than its cells
                    draw.text((left + shift, top + ascent), char, font=font, fill=fg, anchor="ls")
                if style.underline:
                    draw.line([left, top + ascent + 2, left + width * w - 1, top + ascent + 2], fill=fg)
                if style.strike:
                    draw.line([left, top + h // 2, left + width * w - 1, top + h // 2], fill=fg)
                col += width
    return image


def ansi(lines: list[list[Segment]]) -> str:
    """The whole screen as terminal output: clear, then every row in its colours, each
    written from its own first column (never a line feed: a row as wide as the terminal
    leaves the cursor waiting to wrap, and a line feed after it would skip a row)."""
    rows = ["".join(style.render(text, color_system=ColorSystem.TRUECOLOR) if style else text
                    for text, style, _ in line) for line in lines]
    return "\x1b[2J" + "".join(f"\x1b[{n};1H{row}" for n, row in enumerate(rows, 1))


# -- the formats ----------------------------------------------------------------------------------
def check_folder(folder: Path) -> None:
    """Before playing: a path that exists and is no folder cannot be written into."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"Cannot write to {folder}: it is not a folder; choose another folder with --output DIR.")


def _folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = "it is not a folder" if isinstance(exc, FileExistsError) else exc.strerror
        raise OutputError(f"Cannot write to {folder}: {why}; choose another folder with --output DIR.") from exc


def _write_png(image, path: Path) -> Path:
    with output_file(path, binary=True) as out:
        image.save(out, format="PNG")
    return path


def write(outcome: Outcome, fmt: str, folder: Path, *, delay: float = 3.0, size=(100, 32)) -> list[Path]:
    """Write the played walkthrough in one format into `folder`; the files written."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    _folder(folder)
    name, shots = outcome.walkthrough.name, outcome.shots
    columns, rows = size
    if fmt == "svg":
        written = []
        for shot in shots:
            path = folder / f"{name}-{shot.number:02d}.svg"
            with output_file(path) as out:
                out.write(shot.svg)
            written.append(path)
        return written
    if fmt == "png":
        return [_write_png(render_png(shot.lines, columns), folder / f"{name}-{shot.number:02d}.png")
                for shot in shots]
    if fmt == "gif":
        frames = [render_png(shot.lines, columns).convert("P", palette=1, colors=255) for shot in shots]
        path = folder / f"{name}.gif"
        with output_file(path, binary=True) as out:
            frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:],
                           duration=round(delay * 1000), loop=0)
        return [path]
    if fmt == "cast":
        header = {"version": 2, "width": columns, "height": rows, "timestamp": int(time.time()),
                  "title": outcome.walkthrough.title, "env": {"TERM": "xterm-256color"}}
        path = folder / f"{name}.cast"
        with output_file(path) as out:
            out.write(json.dumps(header) + "\n")
            for n, shot in enumerate(shots):
                out.write(json.dumps([round(n * delay, 3), "o", ansi(shot.lines)]) + "\n")
            # nothing more to draw: the last step stays `delay` on screen, as the others do
            out.write(json.dumps([round(len(shots) * delay, 3), "o", ""]) + "\n")
        return [path]
    return _gallery(outcome, folder, columns)


def _gallery(outcome: Outcome, folder: Path, columns: int) -> list[Path]:
    """NAME.html: the title, then each step's picture (NAME-NN.png beside it) and caption."""
    w = outcome.walkthrough
    written = write(outcome, "png", folder)
    figures = "\n".join(
        f'<figure id="step-{shot.number}"><img src="{html.escape(path.name)}" '
        f'alt="Step {shot.number}: {html.escape(shot.caption)}" width="{columns * cell()[0]}">'
        f"<figcaption><b>Step {shot.number} of {len(outcome.shots)}.</b> {html.escape(shot.caption)}</figcaption></figure>"
        for shot, path in zip(outcome.shots, written))
    page = folder / f"{w.name}.html"
    with output_file(page) as out:
        out.write(f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(w.title)}</title>"
                  "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;background:#fafafa}"
                  "figure{margin:0 0 2.5em}img{max-width:100%;border-radius:6px}"
                  "figcaption{margin-top:.5em;font-size:1.1em}</style></head>"
                  f"<body><h1>{html.escape(w.title)}</h1>\n{figures}\n</body></html>\n")
    return [page, *written]
