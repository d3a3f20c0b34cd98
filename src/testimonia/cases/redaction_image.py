"""Image redaction: marked regions filled with opaque black, and the file's metadata left
behind (pure functions over bytes, Pillow only).

The boxes are in pixels of the image as it is displayed: a JPEG's EXIF orientation is applied
first (browsers apply it too), then the orientation tag goes with the rest of the metadata.
The output is a new file, re-encoded from the pixels alone: no EXIF (so no GPS position, no
camera serial number), no XMP, no comment, no text chunks. A colour profile is applied to the
pixels (converted to sRGB) and then dropped. JPEG and PNG only; an animated image, a video or
any other type is refused (video redaction is not built).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageDraw, ImageOps, UnidentifiedImageError

FORMATS = {"image/jpeg": ("JPEG", ".jpg"), "image/png": ("PNG", ".png")}
MAX_PIXELS = 120_000_000  # about 11000 x 11000: far above any camera, far below a bomb
MAX_BOXES = 500
JPEG_QUALITY = 95  # the redacted copy is re-encoded once; high quality keeps what is visible


class ImageRedactionError(ValueError):
    """An image that cannot be redacted, or boxes that do not fit it; says what to do."""


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.x},{self.y},{self.width},{self.height}"


BOX = re.compile(r"^\s*(\d{1,6})\s*,\s*(\d{1,6})\s*,\s*(\d{1,6})\s*,\s*(\d{1,6})\s*$")


def parse_box(text: str) -> Box:
    """`X,Y,WIDTH,HEIGHT` in pixels, from the top left corner."""
    match = BOX.match(text)
    if match is None:
        raise ImageRedactionError(
            f"{text[:40]!r} is not a box: write X,Y,WIDTH,HEIGHT in pixels (e.g. 10,20,200,80)"
        )
    x, y, width, height = (int(v) for v in match.groups())
    if width == 0 or height == 0:
        raise ImageRedactionError(f"box {text.strip()} is empty: give it a width and a height")
    return Box(x, y, width, height)


def parse_boxes(text: str) -> list[Box]:
    """Boxes separated by semicolons or new lines, as the web form sends them."""
    return [parse_box(part) for part in re.split(r"[;\n]", text) if part.strip()]


@dataclass(frozen=True)
class RedactedImage:
    data: bytes
    media_type: str
    extension: str
    width: int
    height: int
    boxes: tuple[Box, ...]  # as filled, clipped to the image


def image_size(data: bytes) -> tuple[int, int]:
    """The size of the image as displayed (after its EXIF orientation)."""
    with _open(data) as image:
        width, height = image.size
        orientation = image.getexif().get(0x0112, 1)
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError) as exc:
        raise ImageRedactionError("the file is not a readable image") from exc
    if image.format not in ("JPEG", "PNG"):
        raise ImageRedactionError("only JPEG and PNG images can be redacted here")
    if image.width * image.height > MAX_PIXELS:
        raise ImageRedactionError(
            f"the image is larger than {MAX_PIXELS // 1_000_000} megapixels: too large to redact"
        )
    if getattr(image, "n_frames", 1) > 1:
        raise ImageRedactionError(
            "the image is animated: only still JPEG and PNG images can be redacted"
        )
    return image


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """The pixels converted from the embedded colour profile to sRGB, so that dropping the
    profile does not change how the image looks; unchanged if the profile is unusable."""
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        converted = ImageCms.profileToProfile(image, source, target, outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return converted if converted is not None else image


def _working_mode(image: Image.Image) -> Image.Image:
    if image.mode in ("RGB", "RGBA", "L"):
        return image
    has_alpha = image.mode in ("LA", "PA", "RGBa") or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def redact_image(data: bytes, media_type: str, boxes: list[Box]) -> RedactedImage:
    """A new image: the pixels of `data` (oriented as displayed) with each box filled with
    opaque black, encoded without any of the original's metadata."""
    if media_type not in FORMATS:
        raise ImageRedactionError("only JPEG and PNG images can be redacted here")
    if not boxes:
        raise ImageRedactionError("mark at least one region to black out")
    if len(boxes) > MAX_BOXES:
        raise ImageRedactionError(f"at most {MAX_BOXES} boxes at a time")
    fmt, extension = FORMATS[media_type]
    with _open(data) as opened:
        icc = opened.info.get("icc_profile")
        try:
            image = ImageOps.exif_transpose(opened)
            image.load()
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageRedactionError("the image's pixels cannot be read") from exc
    image = _working_mode(_to_srgb(image, icc))
    width, height = image.size
    filled = []
    for box in boxes:
        right = min(box.x + box.width, width)
        bottom = min(box.y + box.height, height)
        if box.x >= width or box.y >= height:
            raise ImageRedactionError(
                f"box {box} lies outside the image ({width} x {height} pixels)"
            )
        filled.append(Box(box.x, box.y, right - box.x, bottom - box.y))
    blacks: dict[str, int | tuple[int, ...]] = {"L": 0, "RGB": (0, 0, 0), "RGBA": (0, 0, 0, 255)}
    black = blacks[image.mode]
    draw = ImageDraw.Draw(image)
    for box in filled:
        # Pillow's rectangle includes its last row and column.
        draw.rectangle((box.x, box.y, box.x + box.width - 1, box.y + box.height - 1), fill=black)
    # Only the pixels go out: whatever Pillow kept from the original (comment, profile, EXIF,
    # XMP, text chunks, DPI) is dropped before encoding.
    image.info = {}
    if fmt == "JPEG" and image.mode == "RGBA":
        image = image.convert("RGB")
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY, subsampling=0, optimize=True)
    else:
        image.save(out, "PNG", optimize=True)
    return RedactedImage(out.getvalue(), media_type, extension, width, height, tuple(filled))
