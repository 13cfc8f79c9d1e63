"""Read an LKPP reply as one of the SOP's outcomes (steps 4, 6, 12/14, 13) or as unknown.

The escalation email asks LKPP to begin the reply with a tag (``#DATA``, ``#KEWENANGAN_LPSE``,
``#PROGRES``, ``#SELESAI``). A tag is an explicit decision by a human at LKPP, so it wins and
the bridge may act on it without confirmation (``by_tag=True``). Without a tag, Indonesian
keyword rules give a *suggestion* that staff confirm or correct in the Telegram group, so the
rules aim to be right often and to say "unknown" when unsure rather than to be clever.

The rules are data (:data:`RULES`): edit that table, not the engine, when LKPP's wording
changes. Each rule is ``(class, regex, weight)``; the regex is matched against the reply
lowercased, whitespace-collapsed and with common chat abbreviations expanded ("sdh" →
"sudah", "silahkan" → "silakan"). A match does not count when a negation ("belum",
"tidak", "bukan" …) stands in the two words before it: "belum selesai" is not solved and
"tidak dapat ditangani oleh LPSE" is not LPSE's authority. A match inside a condition
("apabila masih gagal, mohon kirimkan screenshot") counts half, because a solved reply often
ends with such an offer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.domain.sop import LkppReplyClass

__all__ = ["RULES", "Classification", "classify", "find_tag", "strip_tag"]

_C = LkppReplyClass

#: ``(class, pattern, weight)``. Patterns are regexes over normalised lowercase text.
RULES: tuple[tuple[LkppReplyClass, str, float], ...] = (
    # --- step 6: LKPP needs more data --------------------------------------------------------
    (_C.DATA_REQUEST, r"mohon (?:untuk )?dilengkapi", 3),
    (
        _C.DATA_REQUEST,
        r"data (?:tambahan|pendukung)(?! (?:sudah|telah) (?:kami )?(?:di)?terima)",
        3,
    ),
    (_C.DATA_REQUEST, r"mohon (?:agar )?(?:di)?kirim(?:kan)?", 2),
    (_C.DATA_REQUEST, r"mohon (?:di)?lampirkan|lampirkan|melampirkan", 2),
    (_C.DATA_REQUEST, r"screenshot|screen shot|tangkapan layar|capture", 2),
    (_C.DATA_REQUEST, r"kami memerlukan|kami membutuhkan|diperlukan data", 3),
    (_C.DATA_REQUEST, r"mohon (?:di)?informasikan|mohon informasi", 2),
    (_C.DATA_REQUEST, r"mohon (?:di)?sampaikan|mohon konfirmasi", 1),
    (_C.DATA_REQUEST, r"informasi (?:yang )?(?:belum lengkap|kurang lengkap|kurang jelas)", 3),
    (_C.DATA_REQUEST, r"(?:sertakan|cantumkan) (?:kode|nama|user ?id|log)", 2),
    # --- step 13: solved ---------------------------------------------------------------------
    (_C.SOLVED, r"sudah selesai|telah selesai", 3),
    (_C.SOLVED, r"(?:sudah|telah) (?:kami )?(?:di)?perbaiki", 3),
    (_C.SOLVED, r"(?:sudah|telah) (?:kami )?(?:di)?(?:reset|buka|aktifkan|normalkan|unlock)", 3),
    (_C.SOLVED, r"(?:sudah|telah) (?:dapat|bisa)", 2),
    (_C.SOLVED, r"(?:sudah|telah) (?:tampil|muncul|aktif|terkirim|berjalan)", 2),
    (_C.SOLVED, r"berhasil", 2),
    (_C.SOLVED, r"(?:sudah|telah|kembali) normal", 3),
    (_C.SOLVED, r"(?:sudah|telah) teratasi|berhasil diatasi", 3),
    (_C.SOLVED, r"silakan (?:di)?coba kembali|silakan (?:di)?coba lagi", 2),
    (_C.SOLVED, r"selesai", 1),
    # --- step 4: within LPSE's authority, here is a guide ------------------------------------
    (_C.GUIDE, r"kewenangan (?:dari )?(?:lpse|admin)", 4),
    (_C.GUIDE, r"(?:dapat|bisa) ditangani (?:oleh|di) lpse", 4),
    (_C.GUIDE, r"(?:dapat|bisa) dilakukan (?:sendiri )?oleh (?:admin|lpse|verifikator)", 3),
    (_C.GUIDE, r"silakan (?:pihak )?lpse|lpse (?:setempat|dapat)", 3),
    (_C.GUIDE, r"admin (?:lpse|agency|ppe)", 2),
    (_C.GUIDE, r"\bagency\b", 1),
    (_C.GUIDE, r"panduan|petunjuk teknis|user ?guide|manual", 2),
    (_C.GUIDE, r"melalui menu", 1),
    # --- steps 12/14: progress ---------------------------------------------------------------
    (_C.PROGRESS, r"sedang (?:kami )?(?:di)?proses", 3),
    (_C.PROGRESS, r"sedang (?:kami )?(?:di)?(?:tangani|cek|periksa|analisa|analisis|telusuri)", 3),
    (_C.PROGRESS, r"masih (?:dalam )?proses", 3),
    (_C.PROGRESS, r"(?:di)?teruskan (?:ke|kepada) (?:tim|bagian|unit|developer)", 3),
    (_C.PROGRESS, r"dalam (?:proses )?penanganan|sedang ditindaklanjuti", 3),
    (_C.PROGRESS, r"sedang (?:kami )?(?:di)?koordinasikan|berkoordinasi", 3),
    (_C.PROGRESS, r"mohon (?:kesediaannya )?(?:untuk )?menunggu|mohon bersabar", 2),
    (_C.PROGRESS, r"akan kami (?:informasikan|kabari|sampaikan) (?:kembali|lebih lanjut)", 2),
    (_C.PROGRESS, r"belum selesai|belum dapat diselesaikan", 2),
    (_C.PROGRESS, r"(?:data|dokumen|informasi)(?: tambahan)? (?:sudah|telah) kami terima", 2),
)

_ABBREVIATIONS: Mapping[str, str] = MappingProxyType(
    {
        "sdh": "sudah",
        "udh": "sudah",
        "udah": "sudah",
        "blm": "belum",
        "tdk": "tidak",
        "gak": "tidak",
        "nggak": "tidak",
        "mhn": "mohon",
        "silahkan": "silakan",
        "slhkan": "silakan",
        "dgn": "dengan",
        "utk": "untuk",
        "krn": "karena",
        "yg": "yang",
        "sy": "saya",
        "dlm": "dalam",
        "screen-shot": "screenshot",
    }
)
_ABBREVIATION = re.compile(r"\b(" + "|".join(map(re.escape, _ABBREVIATIONS)) + r")\b")
_NEGATIONS = frozenset({"belum", "tidak", "tak", "bukan", "jangan", "gagal", "tanpa"})
_NEGATION_WINDOW = 2
_CONDITIONALS = re.compile(r"\b(?:apabila|jika|bila|bilamana|kalau|seandainya|andaikan)\b")
_SENTENCE_END = re.compile(r"[.!?;]")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\u00a0]*\n")
_WHITESPACE = re.compile(r"\s+")
_CLAUSE_END = re.compile(r"[.!?;,:]")
_WORD = re.compile(r"[\w-]+")

_COMPILED: tuple[tuple[LkppReplyClass, re.Pattern[str], float], ...] = tuple(
    (cls, re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])"), weight)
    for cls, pattern, weight in RULES
)

_TAGS: Mapping[str, LkppReplyClass] = MappingProxyType(
    {cls.tag.lstrip("#").lower(): cls for cls in LkppReplyClass if cls.tag}
)
_TAG = re.compile(r"#\s?(kewenangan[_ ]lpse|data|progres|progress|selesai)(?![\w])", re.I)
_LEADING_NOISE = re.compile(r"^[\s*_>`\"'\[(]+")
_TAG_AT_START = re.compile(
    _LEADING_NOISE.pattern.replace("+", "*") + _TAG.pattern + r"[*_`\"'\])]*\s*[:\-\u2013\u2014]?",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Classification:
    """What the classifier concluded, and why (shown to staff next to the buttons)."""

    cls: LkppReplyClass
    by_tag: bool
    matched: list[str] = field(default_factory=list)
    scores: Mapping[LkppReplyClass, float] = field(default_factory=dict)


def find_tag(reply_text: str, subject: str = "") -> LkppReplyClass | None:
    """The class named by an explicit tag, or ``None``.

    The tag counts at the start of the reply's first non-empty line (bold or quote marks
    around it are tolerated, since HTML mail turns ``<b>#DATA</b>`` into ``**#DATA**``), or
    anywhere in the subject. The body wins over the subject, because a subject keeps the tag
    of an earlier reply in the thread ("Re: #DATA …").
    """
    for line in reply_text.splitlines():
        if line.strip():
            match = _TAG.match(_LEADING_NOISE.sub("", line))
            if match:
                return _tag_class(match.group(1))
            break
    match = _TAG.search(subject or "")
    return _tag_class(match.group(1)) if match else None


def strip_tag(reply_text: str) -> str:
    """The reply without its leading tag: what the user reads and staff see under the label.

    Removes the tag :func:`find_tag` honours at the start of the first non-empty line, in any
    case, with the bold or quote marks around it and a following ``:``/``-``; the line goes
    when nothing else is on it. A tag elsewhere (the subject, mid-text) is left alone.
    """
    lines = reply_text.split("\n")
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        match = _TAG_AT_START.match(line)
        if match:
            rest = line[match.end() :].strip()
            lines[index : index + 1] = [rest] if rest else []
        break
    return "\n".join(lines).strip()


def _tag_class(word: str) -> LkppReplyClass:
    word = word.lower().replace(" ", "_")
    return _TAGS["progres" if word == "progress" else word]


def _normalise(text: str) -> str:
    text = text.lower()
    text = _PARAGRAPH_BREAK.sub(" . ", text)  # a paragraph break ends a sentence
    text = _WHITESPACE.sub(" ", text)  # a wrapped line does not
    return _ABBREVIATION.sub(lambda m: _ABBREVIATIONS[m.group(1)], text)


def _negated(text: str, start: int) -> bool:
    # Only words of the same clause: "data belum lengkap. Mohon dilengkapi" is not negated.
    window = _CLAUSE_END.split(text[max(0, start - 40) : start])[-1]
    before = _WORD.findall(window)
    return any(word in _NEGATIONS for word in before[-_NEGATION_WINDOW:])


def _conditional(text: str, start: int) -> bool:
    sentence_start = 0
    for match in _SENTENCE_END.finditer(text, max(0, start - 200), start):
        sentence_start = match.end()
    return bool(_CONDITIONALS.search(text, max(sentence_start, start - 200), start))


def classify(reply_text: str, subject: str) -> Classification:
    """Classify LKPP's reply.

    Args:
        reply_text: The reply without quoted history (see :func:`bot.mail.quotes.strip_quotes`).
            Only this is scored: the quote holds our own escalation's words.
        subject: The subject, looked at only for a tag.

    Returns:
        The tag's class with ``by_tag=True`` when a tag is present; else the class with the
        highest keyword score, or UNKNOWN when nothing matched or two classes tie.
    """
    tagged = find_tag(reply_text, subject)
    if tagged is not None:
        return Classification(tagged, True, [tagged.tag or ""])

    text = _normalise(reply_text)
    scores: dict[LkppReplyClass, float] = {}
    matched: list[str] = []
    for cls, pattern, weight in _COMPILED:
        for match in pattern.finditer(text):
            if _negated(text, match.start()):
                continue
            factor = 0.5 if _conditional(text, match.start()) else 1.0
            scores[cls] = scores.get(cls, 0.0) + weight * factor
            matched.append(match.group(0))
            break  # each rule counts once: repetition is not more evidence
    if not scores:
        return Classification(_C.UNKNOWN, False, [], {})
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best, best_score = ranked[0]
    if len(ranked) > 1 and ranked[1][1] == best_score:
        return Classification(_C.UNKNOWN, False, matched, MappingProxyType(scores))
    return Classification(best, False, matched, MappingProxyType(scores))
