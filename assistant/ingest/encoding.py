"""Decode the bytes of a plain-text report into str, whatever encoding it was saved in.

Government sites and office machines produce UTF-8 (with or without BOM),
GBK/GB18030 and UTF-16 files. The difficulty is not decoding but *refusing*:
GB18030 maps almost every byte sequence to some character, so binary junk
"decodes" into a page of rare CJK characters. We therefore (1) reject data that
has control bytes no text file contains, and (2) judge a legacy decoding by how
much of it is common Chinese (GB2312) text, asking charset-normalizer to break
the tie when GB18030 looks wrong.
"""
from __future__ import annotations

import codecs
import logging

logger = logging.getLogger(__name__)


class UnreadableReport(Exception):
    """A report file that cannot be turned into text (the message says why)."""


# Bytes that never occur in text files (NUL and C0 controls other than \t \n \v \f \r, ESC and SUB).
_CONTROL_BYTES = frozenset(range(0x00, 0x09)) | frozenset(range(0x0E, 0x1A)) | frozenset((0x1C, 0x1D, 0x1E, 0x1F))
_SAMPLE = 64 * 1024
MIN_LEGACY_QUALITY = 0.85  # share of CJK characters that must be common (GB2312) ones


def decode_bytes(data: bytes) -> str:
    """Decode report bytes: BOMs first, then UTF-8, UTF-16 without BOM, GB18030, charset-normalizer.

    Raises UnreadableReport for empty input and for data that is not text in any of these.
    """
    if not data or not data.strip(b" \t\r\n\x00"):
        raise UnreadableReport("the file is empty")
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
                       (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(codec)
            except UnicodeDecodeError as exc:
                raise UnreadableReport(f"starts with a {codec} byte-order mark but is not valid {codec} "
                                       f"({exc.reason} at byte {exc.start})") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    if _control_share(data) > 0.01:
        raise UnreadableReport("the content is not text (binary data)")
    return _decode_legacy(data)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a BOM: it has zero bytes (in ASCII characters), and reads as Chinese or ASCII."""
    sample = data[:_SAMPLE]
    if len(data) < 4 or len(data) % 2 or 0 not in sample:
        return None
    half = len(sample) / 2
    even_zero, odd_zero = sample[0::2].count(0) / half, sample[1::2].count(0) / half
    for codec, zero_lane, other_lane in (("utf-16-le", odd_zero, even_zero), ("utf-16-be", even_zero, odd_zero)):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if _text_quality(text) >= MIN_LEGACY_QUALITY:  # Chinese text
            return text
        # mostly-ASCII text puts a zero in every other byte, in one lane only
        if zero_lane > 0.3 and other_lane < 0.01 and _text_quality(text, need_cjk=False) >= MIN_LEGACY_QUALITY:
            return text
    return None


def _control_share(data: bytes) -> float:
    sample = data[:_SAMPLE]
    return sum(1 for b in sample if b in _CONTROL_BYTES) / max(1, len(sample))


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\U00020000" <= ch <= "\U0002ffff"


def _text_quality(text: str, common_codecs: tuple[str, ...] = ("gb2312",), need_cjk: bool = True) -> float:
    """1.0 for clean Chinese text; low for mojibake or junk.

    The share of CJK characters that are common ones (encodable in `common_codecs`;
    GB2312 holds the 6,763 everyday characters), with unprintable characters counted
    as failures. Real reports score > 0.97; GB18030-decoded junk scores far lower.
    With need_cjk, a text whose non-ASCII characters are less than 30% Chinese scores 0:
    a legacy-encoded file in this corpus is a Chinese report (ASCII markup around it is
    fine), and junk read as Latin or Cyrillic is not one.
    """
    sample = text[:20000]
    cjk = bad = common = visible = non_ascii = 0
    for ch in sample:
        if ch.isspace():
            continue
        visible += 1
        non_ascii += not ch.isascii()
        if _cjk(ch):
            cjk += 1
            common += _encodable(ch, common_codecs)
        elif not ch.isprintable() or ch == "\ufffd" or "\ue000" <= ch <= "\uf8ff":
            bad += 1
    if visible == 0:
        return 0.0
    if cjk == 0 or (need_cjk and cjk < 0.3 * non_ascii):
        return 0.0 if need_cjk else (visible - bad) / visible
    return common / (cjk + bad)


def _encodable(ch: str, codec_names: tuple[str, ...]) -> bool:
    for name in codec_names:
        try:
            ch.encode(name)
            return True
        except UnicodeEncodeError:
            continue
    return False


def _decode_legacy(data: bytes) -> str:
    """GB18030 (a superset of GBK/GB2312) when it reads as Chinese, else charset-normalizer's best guess."""
    gb_text: str | None = None
    try:
        gb_text = data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    if gb_text is not None and _text_quality(gb_text) >= MIN_LEGACY_QUALITY:
        return gb_text
    guess = _charset_normalizer_guess(data)
    if guess is not None:
        encoding, text = guess
        # traditional-Chinese encodings (Big5) are judged against Big5's common characters too
        if _text_quality(text, ("gb2312", "big5")) >= MIN_LEGACY_QUALITY:
            logger.info("decoded as %s (charset-normalizer)", encoding)
            return text
    if gb_text is not None:
        raise UnreadableReport("not readable as text: decodes as GB18030 only into rare characters "
                               "(binary data or an unknown encoding)")
    raise UnreadableReport("not UTF-8 or UTF-16, and not Chinese text in GB18030/GBK or Big5 "
                           "(save the file as UTF-8)")


def _charset_normalizer_guess(data: bytes) -> tuple[str, str] | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - listed in requirements.txt
        return None
    best = from_bytes(data[:_SAMPLE * 4]).best()
    if best is None or not best.encoding:
        return None
    try:
        return best.encoding, data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        return None
