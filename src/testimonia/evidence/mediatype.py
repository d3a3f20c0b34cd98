"""Media type of a file from its first bytes, never from its name.

`filetype` recognises binary formats by their magic numbers (pure Python, no libmagic);
it knows no text formats, so text is recognised here as bytes that decode as UTF-8.
"""

from __future__ import annotations

import filetype

OCTET_STREAM = "application/octet-stream"


def detect_media_type(head: bytes) -> str:
    if not head:
        return "application/x-empty"
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    if _looks_like_text(head):
        return "text/plain"
    return OCTET_STREAM


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The sample may end in the middle of a multi-byte character.
        return exc.start >= len(head) - 3
    return True


# Types a browser can show inline without running anything: the original is displayed on its
# own page, served with its detected type, `nosniff` and a sandboxing CSP. SVG, HTML, PDF and
# everything else are only ever downloaded.
VIEWABLE = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "video/mp4",
        "video/webm",
        "audio/mpeg",
        "audio/ogg",
        "audio/x-wav",
        "audio/wav",
        "audio/mp4",
        "audio/x-flac",
    }
)


def viewable(media_type: str) -> bool:
    return media_type in VIEWABLE
