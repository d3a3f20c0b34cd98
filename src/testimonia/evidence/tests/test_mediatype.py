import io

import pytest
from PIL import Image

from testimonia.evidence.mediatype import detect_media_type


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"", "application/x-empty"),
        (b"plain notes\n", "text/plain"),
        ("شهادة مكتوبة".encode(), "text/plain"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\x00\x01\x02\x03binary", "application/octet-stream"),
    ],
)
def test_media_type_comes_from_content(head, expected):
    assert detect_media_type(head) == expected


def test_an_image_named_like_a_document_is_still_an_image():
    assert detect_media_type(_png()[:8192]) == "image/png"


def test_text_cut_inside_a_multibyte_character_is_still_text():
    data = ("ש" * 10).encode()
    assert detect_media_type(data[:-1]) == "text/plain"
