"""The decision map of a key: its questions and outcomes, drawn as a static SVG.

Pure (no Flask): the trainer's map page, the ``.svg`` download and ``orient graph`` all call
:func:`render_svg`. The drawing is generated server-side as plain SVG text (no JavaScript,
no library, system fonts), so it works offline, projects well and prints.

Layout, top to bottom: the title and a legend of urgency colours; the questions in declared
order (the age group first, as the wizard asks it), each with its ``ask_when`` condition;
then the outcomes in the order they are tried, each with its ``when`` condition in French,
coloured by urgency and joined by "sinon" arrows down to the explicit default.

Every label comes from YAML: every text node and attribute goes through ``escape`` /
``quoteattr`` (and loses XML-forbidden control characters), so the output is always
well-formed XML, whatever a rule author writes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from orient.core.model import (
    ACTION_LABELS,
    AGE_QUESTION,
    URGENCY_LABELS,
    AnswerCondition,
    Condition,
    Key,
    Outcome,
    Question,
)
from orient.services.typography import french

# Urgency colours: the stylesheet's tiers. White text on each is AA (contrast 6.1 to 8.1).
URGENCY_COLOURS: dict[str, str] = {
    "urgence": "#a4001d",
    "rapide": "#a34700",
    "programme": "#0b5cad",
    "surveillance": "#25603a",
}
INK = "#1b1b1b"
MUTED = "#4a4a4a"  # 8.9:1 on white
LINE = "#767676"   # box outlines: 4.5:1 on white, visible on a projector

SHORT_QUESTION = 48  # characters of a question's text quoted inside a condition


# --- conditions in French -------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """A condition rendered in French: a leaf sentence, or a heading with its sub-clauses."""

    text: str
    children: tuple[Clause, ...] = ()

    @property
    def is_leaf(self) -> bool:
        return not self.children


def shorten(text: str, width: int = SHORT_QUESTION) -> str:
    """``text`` cut at a word boundary, with an ellipsis when it was longer than ``width``."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[:width].rsplit(" ", 1)[0].rstrip(" ,;:")
    return f"{cut}…"


def _fmt_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


class _Namer:
    """Names questions (``Q2 « Y a-t-il… »``) and answer values (option labels) for one key."""

    def __init__(self, key: Key, quote: bool = True):
        self.key = key
        self.quote = quote  # False: "Q3" alone, where the questions are listed beside the outcomes
        self.numbers = {q.id: i for i, q in enumerate(key.consultation_questions, start=1)}

    def question(self, question_id: str) -> str:
        question = self.key.question(question_id)
        if question is None:
            return f"« {question_id} »"
        if not self.quote:
            return f"Q{self.numbers[question_id]}"
        return f"Q{self.numbers[question_id]} « {shorten(question.text)} »"

    def value(self, question_id: str, value: str) -> str:
        question = self.key.question(question_id)
        if question is None:
            return value
        return question.value_label(value)

    def leaf(self, cond: AnswerCondition) -> str:
        name = self.question(cond.answer)
        if cond.is_ is not None:
            return f"{name} = {self.value(cond.answer, cond.is_)}"
        if cond.in_ is not None:
            return f"{name} = " + " ou ".join(self.value(cond.answer, v) for v in cond.in_)
        if cond.includes is not None:
            return f"{name} comprend : {self.value(cond.answer, cond.includes)}"
        if cond.includes_any is not None:
            labels = [self.value(cond.answer, v) for v in cond.includes_any]
            if len(labels) == 1:
                return f"{name} comprend : {labels[0]}"
            return f"{name} comprend au moins un de : " + " ; ".join(labels)
        question = self.key.question(cond.answer)
        unit = f" {question.unit}" if question is not None and question.unit else ""
        bounds = [f"{sign} {_fmt_number(bound)}{unit}" for sign, bound in
                  ((">", cond.gt), ("≥", cond.ge), ("<", cond.lt), ("≤", cond.le)) if bound is not None]
        return f"{name} " + " et ".join(bounds)


def clause(key: Key, cond: Condition) -> Clause:
    """The French clause tree of a condition (leaves are one readable sentence each)."""
    return _clause(_Namer(key), cond)


def _clause(namer: _Namer, cond: Condition) -> Clause:
    return cond.outline(lambda leaf: Clause(namer.leaf(leaf)), Clause)


def condition_text(key: Key, cond: Condition) -> str:
    """One line: « Nécrose … ? » = Oui ET au moins 2 parmi (… ; …)."""
    return _inline(_Namer(key), cond, top=True)


def _inline(namer: _Namer, cond: Condition, top: bool = False) -> str:
    return cond.inline(namer.leaf, top=top)


# --- the map as data (also the page's text alternative) --------------------------------------


@dataclass(frozen=True)
class MapQuestion:
    number: int
    question: Question
    answers: str               # "Oui · Non · Je ne sais pas", or the unit and bounds
    ask_when: Clause | None
    ask_when_text: str | None


@dataclass(frozen=True)
class MapOutcome:
    number: int
    outcome: Outcome
    urgency_label: str
    action_label: str
    filiere_label: str | None
    when: Clause | None        # None: the explicit default
    when_text: str | None


@dataclass(frozen=True)
class DecisionMap:
    key: Key
    questions: tuple[MapQuestion, ...]
    outcomes: tuple[MapOutcome, ...]


def _answers_text(question: Question) -> str:
    return question.answers_summary


def decision_map(key: Key, filiere_names: Mapping[str, str] | None = None, *, quote: bool = True) -> DecisionMap:
    """The questions and outcomes of ``key``, numbered, with their conditions in French
    (``quote``: questions named with the start of their text, else by number only)."""
    namer = _Namer(key, quote)
    questions = tuple(
        MapQuestion(
            number=namer.numbers[q.id], question=q, answers=_answers_text(q),
            ask_when=_clause(namer, q.ask_when) if q.ask_when is not None else None,
            ask_when_text=_inline(namer, q.ask_when, top=True) if q.ask_when is not None else None)
        for q in key.consultation_questions)
    outcomes = tuple(
        MapOutcome(
            number=i, outcome=o, urgency_label=URGENCY_LABELS[o.urgency], action_label=ACTION_LABELS[o.action],
            filiere_label=(filiere_names or {}).get(o.filiere, o.filiere) if o.filiere else None,
            when=_clause(namer, o.when) if o.when is not None else None,
            when_text=_inline(namer, o.when, top=True) if o.when is not None else None)
        for i, o in enumerate(key.outcomes, start=1))
    return DecisionMap(key, questions, outcomes)


# --- drawing ---------------------------------------------------------------------------------

WIDTH = 1280
MARGIN = 32
PAD = 16
FONT = 16          # body text; nothing smaller than 14 anywhere
SMALL = 15
HEADING = 22
TITLE = 28
OUTCOME = 18       # outcome titles, bold, white on the urgency colour
LEADING = 1.45
INDENT = 28
ARROW = 42         # the "sinon" arrow between two outcomes
FONT_FAMILY = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BREAKS = re.compile(r"[ \t\n]+")  # where a line may break: not at the no-break spaces

# The landscape map (one A4 page, landscape): columns of this width, as many as make the
# drawing's shape closest to the printed area (277 × 170 mm under the page title).
COLUMN = 620
GUTTER = 28
PAGE_RATIO = 277 / 170

# Advance widths in thousandths of an em (regular, bold) by groups of characters: DejaVu Sans
# (Debian's system-ui, wider than Segoe UI, Roboto, Helvetica Neue or Arial) rounded up, so a
# line measured here fits its box in any of those fonts. Lines are wrapped by this measure,
# never by a character count: a bold title of capitals and "m"s is as safe as one of "i"s.
_WIDTHS: tuple[tuple[str, int, int], ...] = (
    ("'ijlIJ|\u202f", 300, 375),
    (" \u00a0.,’·;:/!", 340, 400),
    ("f-()[]tr\"", 415, 495),
    ("szc?–°*", 555, 600),
    ("LFkvxy•T«»_", 615, 690),
    ("aeo0123456789hnubdgpqSEPY", 640, 735),
    ("KAVXZBRC&", 700, 780),
    ("UNHDGOQ=<>+≥≤#", 790, 860),
    ("wM", 870, 1000),
    ("m%W—…œŒæÆ@", 1070, 1170),
)
_EM: dict[bool, dict[str, int]] = {
    False: {c: regular for chars, regular, _ in _WIDTHS for c in chars},
    True: {c: bold for chars, _, bold in _WIDTHS for c in chars},
}
_OTHER = {False: 720, True: 800}  # anything else: as wide as a capital


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of ``text`` in px at ``size`` px, a little generous (see _WIDTHS)."""
    table, other = _EM[bold], _OTHER[bold]
    total = 0
    for ch in text:
        width = table.get(ch)
        if width is None:  # an accented letter is as wide as its base letter
            width = table.get(unicodedata.normalize("NFD", ch)[:1], other)
        total += width
    return total * size / 1000


def _x(text: str) -> str:
    """Text made safe for an XML text node."""
    return escape(_CONTROL.sub("", text))


def _a(text: str) -> str:
    """Text made safe (and quoted) for an XML attribute."""
    return quoteattr(_CONTROL.sub("", text))


def _wrap(text: str, width_px: float, size: int, bold: bool = False) -> list[str]:
    """``text`` in lines no wider than ``width_px`` (measured); a word longer than a line is cut.
    French spacing first: lines break at plain spaces only, never before « : ; ? ! »."""
    lines: list[str] = []
    line = ""
    for word in _BREAKS.split(french(text).strip(" \t\n")):
        if not word:
            continue
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, size, bold) <= width_px:
            line = candidate
            continue
        if line:
            lines.append(line)
        while len(word) > 1 and text_width(word, size, bold) > width_px:
            cut = len(word) - 1
            while cut > 1 and text_width(word[:cut], size, bold) > width_px:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines or [""]


@dataclass
class _Line:
    text: str
    dx: float = 0
    size: int = FONT
    weight: str = "normal"
    fill: str = INK


def _lines(text: str, width: float, size: int = FONT, weight: str = "normal", fill: str = INK) -> list[_Line]:
    return [_Line(part, size=size, weight=weight, fill=fill) for part in _wrap(text, width, size, weight == "bold")]


def _clause_lines(c: Clause, width: float, prefix: str, depth: int = 0) -> list[_Line]:
    """A clause tree as indented lines: headings, then bullets one level deeper."""
    indent = depth * INDENT
    hang = INDENT * 0.6 if depth else 0  # continuation lines of a bullet hang under its text
    head = f"{prefix}{c.text}" if depth == 0 else f"• {c.text}"
    first, *rest = _wrap(head, width - indent, FONT)
    lines = [_Line(first, dx=indent)]
    if rest:  # the continuation lines hang: wrap them again at the narrower width
        lines += [_Line(part, dx=indent + hang) for part in _wrap(" ".join(rest), width - indent - hang, FONT)]
    for child in c.children:
        lines.extend(_clause_lines(child, width, prefix, depth + 1))
    return lines


class _Canvas:
    def __init__(self, y: float = 0) -> None:
        self.parts: list[str] = []
        self.y: float = y

    def text(self, x: float, y: float, line: _Line) -> None:
        weight = f' font-weight="{line.weight}"' if line.weight != "normal" else ""
        self.parts.append(f'<text x="{x + line.dx:.0f}" y="{y:.0f}" font-size="{line.size}" '
                          f'fill="{line.fill}"{weight}>{_x(line.text)}</text>')

    def rect(self, x: float, y: float, w: float, h: float, fill: str, stroke: str | None = None,
             stroke_width: float = 2) -> None:
        outline = f' stroke="{stroke}" stroke-width="{stroke_width}"' if stroke else ""
        self.parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="6" '
                          f'fill="{fill}"{outline}/>')

    def lines(self, x: float, lines: list[_Line]) -> None:
        for line in lines:
            self.y += line.size * LEADING
            self.text(x, self.y - line.size * 0.3, line)


def _block_height(lines: list[_Line]) -> float:
    return sum(line.size * LEADING for line in lines)


@dataclass
class _Block:
    """A piece of the map drawn at (0, 0) in a column of a given width, placed later."""

    height: float
    parts: list[str]

    def then(self, other: _Block) -> _Block:
        """This block with ``other`` under it, kept together (a heading and its first item)."""
        return _Block(self.height + other.height,
                      [*self.parts, f'<g transform="translate(0 {self.height:.0f})">', *other.parts, "</g>"])


def _heading(text: str, width: float, space_above: float = 0) -> _Block:
    c = _Canvas(space_above)
    c.lines(0, _lines(text, width, HEADING, "bold"))
    return _Block(c.y + 8, c.parts)


def _question_block(mq: MapQuestion, width: float) -> _Block:
    q, text = mq.question, width - 2 * PAD
    lines = _lines(f"Q{mq.number}. {q.text}", text, weight="bold")
    lines += _lines(f"Réponses : {mq.answers}", text, SMALL, fill=MUTED)
    if q is AGE_QUESTION:
        lines.append(_Line("Toujours posée en premier.", size=SMALL, fill=MUTED))
    elif mq.ask_when is not None:
        lines += _clause_lines(mq.ask_when, text, "Posée seulement si ")
    height = _block_height(lines) + PAD
    c = _Canvas(PAD * 0.4)
    c.parts.append(f'<g class="question" data-question={_a(q.id)}>')
    c.rect(0, 0, width, height, "#ffffff", LINE)
    c.lines(PAD, lines)
    c.parts.append("</g>")
    return _Block(height + 10, c.parts)


def _outcome_block(mo: MapOutcome, width: float, arrow: bool) -> _Block:
    o, text = mo.outcome, width - 2 * PAD
    colour = URGENCY_COLOURS[o.urgency]
    head = _lines(f"{mo.number}. {o.title}", text, OUTCOME, "bold", "#ffffff")
    if mo.when is not None:
        body = _clause_lines(mo.when, text, "Si ")
    else:
        body = _lines("Sinon : issue par défaut, quand aucune issue précédente ne s'applique.", text, weight="bold")
    # "Urgence — le jour même" already says what the emergency action says.
    action = "" if o.action == "emergency" else f" · {mo.action_label}"
    filiere = f" · Filière : {mo.filiere_label}" if mo.filiere_label else ""
    body += _lines(f"{mo.urgency_label}{action}{filiere}", text, SMALL, fill=MUTED)
    c = _Canvas()
    top = 0.0
    if arrow:  # "sinon": down from the outcome tried before
        mid = 60
        c.parts.append(f'<line x1="{mid}" y1="0" x2="{mid}" y2="30" stroke="{INK}" stroke-width="3"/>')
        c.parts.append(f'<polygon points="{mid - 8},26 {mid + 8},26 {mid},38" fill="{INK}"/>')
        c.text(mid + 18, 26, _Line("sinon", weight="bold"))
        top = ARROW
    head_h = _block_height(head) + PAD * 0.8
    height = head_h + _block_height(body) + PAD
    c.parts.append(f'<g class="outcome" data-outcome={_a(o.id)} data-urgency={_a(o.urgency)}>')
    c.rect(0, top, width, height, "#ffffff", colour, 3)
    c.rect(0, top, width, head_h, colour)
    c.y = top + PAD * 0.3
    c.lines(PAD, head)
    c.y = top + head_h + PAD * 0.2
    c.lines(PAD, body)
    c.parts.append("</g>")
    return _Block(top + height, c.parts)


def _legend(width: float, per_row: int) -> _Block:
    c = _Canvas()
    c.lines(0, [_Line("Légende : niveau d'urgence de l'issue", weight="bold")])
    c.y += 6
    column = width / per_row
    urgencies = list(URGENCY_COLOURS)
    for start in range(0, len(urgencies), per_row):
        top = c.y
        for col, urgency in enumerate(urgencies[start:start + per_row]):
            x = col * column
            c.rect(x, top, 28, 24, URGENCY_COLOURS[urgency])
            c.text(x + 38, top + 18, _Line(URGENCY_LABELS[urgency]))
        c.y = top + 34
    return _Block(c.y, c.parts)


def _body_blocks(dmap: DecisionMap, width: float) -> list[_Block]:
    """Questions then outcomes, each heading kept with its first item."""
    questions = [_question_block(mq, width) for mq in dmap.questions]
    outcomes = [_outcome_block(mo, width, arrow=i > 0) for i, mo in enumerate(dmap.outcomes)]
    questions[0] = _heading(f"Questions ({len(dmap.questions)})", width).then(questions[0])
    outcomes[0] = _heading(f"Issues, dans l'ordre où elles sont essayées ({len(dmap.outcomes)})",
                           width, space_above=14).then(outcomes[0])
    return questions + outcomes


def _columns(blocks: list[_Block], count: int) -> list[list[_Block]]:
    """``blocks`` in order, in at most ``count`` columns, the tallest column as short as can be."""
    def pack(limit: float) -> list[list[_Block]]:
        columns: list[list[_Block]] = [[]]
        height = 0.0
        for block in blocks:
            if columns[-1] and height + block.height > limit:
                columns.append([])
                height = 0.0
            columns[-1].append(block)
            height += block.height
        return columns

    low, high = max(b.height for b in blocks), sum(b.height for b in blocks)
    for _ in range(40):  # the smallest limit that packs into ``count`` columns
        mid = (low + high) / 2
        low, high = (mid, high) if len(pack(mid)) > count else (low, mid)
    return pack(high)


GUIDE = ("Les questions sont posées dans cet ordre, seulement si elles peuvent encore changer l'issue. "
         "Les issues sont essayées dans l'ordre : la première dont la condition est vraie l'emporte ; "
         "la dernière est l'issue par défaut.")


def _tall(key: Key, dmap: DecisionMap) -> tuple[int, int, list[str]]:
    """One column, 1280 wide: the title, the guide, the legend, then every box (screen, .svg)."""
    inner = WIDTH - 2 * MARGIN
    c = _Canvas(MARGIN)
    c.lines(MARGIN, _lines(f"Carte de décision : {key.title}", inner, TITLE, "bold"))
    c.y += 4
    c.lines(MARGIN, _lines(GUIDE, inner, fill=MUTED))
    c.y += 12
    legend = _legend(inner, 2)
    c.parts += [f'<g transform="translate({MARGIN} {c.y:.0f})">', *legend.parts, "</g>"]
    c.y += legend.height + 14
    for block in _body_blocks(dmap, inner):
        c.parts += [f'<g transform="translate({MARGIN} {c.y:.0f})">', *block.parts, "</g>"]
        c.y += block.height
    return WIDTH, int(c.y + MARGIN), c.parts


def _landscape(dmap: DecisionMap) -> tuple[int, int, list[str]]:
    """Columns shaped like a landscape A4 page, questions named by number (listed in the first
    column): the map printed on one page, under the page's own title."""
    blocks = _body_blocks(dmap, COLUMN)
    best: tuple[float, int, int, list[str]] | None = None
    for count in range(1, 9):
        columns = _columns(blocks, count)
        width = 2 * MARGIN + len(columns) * COLUMN + (len(columns) - 1) * GUTTER
        inner = width - 2 * MARGIN
        c = _Canvas(MARGIN * 0.5)
        c.lines(MARGIN, _lines(GUIDE, inner, fill=MUTED))
        c.y += 8
        legend = _legend(inner, 4 if inner >= 4 * 330 else 2)
        c.parts += [f'<g transform="translate({MARGIN} {c.y:.0f})">', *legend.parts, "</g>"]
        top = c.y + legend.height + 8
        for n, column in enumerate(columns):
            x, y = MARGIN + n * (COLUMN + GUTTER), top
            for block in column:
                c.parts += [f'<g transform="translate({x} {y:.0f})">', *block.parts, "</g>"]
                y += block.height
        height = int(top + max(sum(b.height for b in col) for col in columns) + MARGIN * 0.5)
        scale = min(PAGE_RATIO / width, 1 / height)  # the drawing's scale on the printed area
        if best is None or scale > best[0]:
            best = (scale, width, height, c.parts)
        if len(columns) < count:  # more columns than blocks can fill: nothing more to try
            break
    assert best is not None
    return best[1], best[2], best[3]


def render_svg(key: Key, filiere_names: Mapping[str, str] | None = None, *, standalone: bool = True,
               landscape: bool = False) -> str:
    """The decision map of ``key`` as SVG text (``standalone``: with the XML declaration and
    fixed width/height, for a file; otherwise for inline use in an HTML page). ``landscape``:
    in columns, shaped to print on one landscape page (the title is the page's)."""
    uid = f"carte-{key.id}" + ("-paysage" if landscape else "")
    if landscape:
        dmap = decision_map(key, filiere_names, quote=False)
        width, height, parts = _landscape(dmap)
    else:
        dmap = decision_map(key, filiere_names)
        width, height, parts = _tall(key, dmap)
    title = f"Carte de décision : {key.title}"
    desc = (f"{len(dmap.questions)} questions et {len(dmap.outcomes)} issues. {key.summary} "
            "Les issues sont colorées selon leur urgence : rouge, urgence ; orange, rapide ; "
            "bleu, programmé ; vert, surveillance.")
    size = f' width="{width}" height="{height}"' if standalone else ""
    svg_open = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"{size} role="img" '
                f'aria-labelledby="{uid}-titre" aria-describedby="{uid}-desc" font-family={_a(FONT_FAMILY)} '
                f'class="decision-map-svg">')
    document = "\n".join([
        svg_open,
        f'<title id="{uid}-titre">{_x(title)}</title>',
        f'<desc id="{uid}-desc">{_x(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        *parts,
        "</svg>",
    ])
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + document + "\n") if standalone else document
