"""BlurHash (blurha.sh): the few bytes a client paints as a placeholder while a picture loads.

Computed here from a tiny thumbnail: the algorithm is a handful of cosine sums, and none of
the packages that implement it is both maintained and free of a native build.
"""

import math
from collections.abc import Sequence

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"

type Rgb = tuple[float, float, float]


def encode_blurhash(
    pixels: Sequence[tuple[int, int, int]],
    width: int,
    height: int,
    *,
    x_parts: int = 4,
    y_parts: int = 3,
) -> str:
    """The BlurHash of `pixels` (sRGB, row by row) with `x_parts` by `y_parts` components."""
    linear = [tuple(_to_linear(channel) for channel in pixel) for pixel in pixels]
    factors = [_factor(linear, width, height, i, j) for j in range(y_parts) for i in range(x_parts)]
    dc, ac = factors[0], factors[1:]
    text = _base83((x_parts - 1) + (y_parts - 1) * 9, 1)
    if ac:
        actual_max = max(abs(channel) for factor in ac for channel in factor)
        quantised_max = max(0, min(82, math.floor(actual_max * 166 - 0.5)))
        max_value = (quantised_max + 1) / 166
        text += _base83(quantised_max, 1)
    else:
        max_value = 1.0
        text += _base83(0, 1)
    text += _base83(_encode_dc(dc), 4)
    return text + "".join(_base83(_encode_ac(factor, max_value), 2) for factor in ac)


def _factor(linear: Sequence[Sequence[float]], width: int, height: int, i: int, j: int) -> Rgb:
    normalisation = 1.0 if i == 0 and j == 0 else 2.0
    x_cosines = [math.cos(math.pi * i * x / width) for x in range(width)]
    y_cosines = [math.cos(math.pi * j * y / height) for y in range(height)]
    red = green = blue = 0.0
    for y in range(height):
        row = y * width
        for x in range(width):
            basis = x_cosines[x] * y_cosines[y]
            pixel = linear[row + x]
            red += basis * pixel[0]
            green += basis * pixel[1]
            blue += basis * pixel[2]
    scale = normalisation / (width * height)
    return red * scale, green * scale, blue * scale


def _encode_dc(value: Rgb) -> int:
    red, green, blue = (_to_srgb(channel) for channel in value)
    return (red << 16) + (green << 8) + blue


def _encode_ac(value: Rgb, max_value: float) -> int:
    def quantised(channel: float) -> int:
        signed_root = math.copysign(abs(channel / max_value) ** 0.5, channel)
        return max(0, min(18, math.floor(signed_root * 9 + 9.5)))

    red, green, blue = (quantised(channel) for channel in value)
    return red * 19 * 19 + green * 19 + blue


def _to_linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def _to_srgb(value: float) -> int:
    value = max(0.0, min(1.0, value))
    if value <= 0.0031308:
        return int(value * 12.92 * 255 + 0.5)
    return int((1.055 * value ** (1 / 2.4) - 0.055) * 255 + 0.5)


def _base83(value: int, length: int) -> str:
    return "".join(
        _ALPHABET[(value // 83 ** (length - place)) % 83] for place in range(1, length + 1)
    )
