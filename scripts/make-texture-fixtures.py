#!/usr/bin/env python3
"""Small PNG and JPEG images for the preview texture decoders' tests (Tests/MeshInspectorTests/Fixtures/textures).

Every image is the same 40 x 30 picture: four solid quadrants (top left red, top right green, bottom left blue,
bottom right white), so a test can check colours and orientation in any format. PNGs are written here byte by
byte (every colour type, 8- and 16-bit, palette at 1/2/4/8 bits, Adam7), JPEGs with Pillow (pip install Pillow):
baseline 4:2:0 and 4:4:4, progressive, greyscale, and with restart markers.
"""
import os, struct, zlib, sys

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "MeshInspectorTests", "Fixtures", "textures")
W, H = 40, 30
QUADRANTS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)]


def colour(x, y):
    return QUADRANTS[(1 if x >= W // 2 else 0) + (2 if y >= H // 2 else 0)]


def chunk(kind, body):
    data = kind + body
    return struct.pack(">I", len(body)) + data + struct.pack(">I", zlib.crc32(data) & 0xFFFFFFFF)


def pack_row(samples, depth):
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", s * 257) for s in samples)
    out, bits, acc = bytearray(), 0, 0
    for s in samples:
        acc = acc << depth | s
        bits += depth
        if bits == 8:
            out.append(acc); bits, acc = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


def png(name, colour_type, depth, interlace=False, filters=(0, 1, 2, 3, 4)):
    palette = QUADRANTS
    def samples(x, y):
        r, g, b = colour(x, y)
        grey = (r + g + b) // 3
        if colour_type == 0: return [grey >> (8 - depth)] if depth < 8 else [grey]
        if colour_type == 2: return [r, g, b]
        if colour_type == 3: return [palette.index((r, g, b))]
        if colour_type == 4: return [grey, 255]
        return [r, g, b, 255]
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)] if interlace else [(0, 0, 1, 1)]
    raw, row_number = bytearray(), 0
    bpp = max(1, len(samples(0, 0)) * depth // 8)
    for px, py, dx, dy in passes:
        xs = list(range(px, W, dx))
        if not xs: continue
        previous = None
        for y in range(py, H, dy):
            line = pack_row([s for x in xs for s in samples(x, y)], depth)
            f = filters[row_number % len(filters)]; row_number += 1
            prior = previous or bytes(len(line))
            out = bytearray()
            for i, value in enumerate(line):
                a = line[i - bpp] if i >= bpp else 0
                b = prior[i]
                c = prior[i - bpp] if i >= bpp else 0
                if f == 0: pred = 0
                elif f == 1: pred = a
                elif f == 2: pred = b
                elif f == 3: pred = (a + b) // 2
                else:
                    p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                out.append((value - pred) & 0xFF)
            raw += bytes([f]) + out
            previous = line
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, depth, colour_type, 0, 0, 1 if interlace else 0))
    if colour_type == 3:
        data += chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    compressed = zlib.compress(bytes(raw), 9)
    # Two IDAT chunks, as encoders split long streams.
    data += chunk(b"IDAT", compressed[:len(compressed) // 2]) + chunk(b"IDAT", compressed[len(compressed) // 2:]) + chunk(b"IEND", b"")
    open(os.path.join(OUT, name), "wb").write(data)


def jpegs():
    from PIL import Image
    image = Image.new("RGB", (W, H))
    image.putdata([colour(x, y) for y in range(H) for x in range(W)])
    image.save(os.path.join(OUT, "quadrants-baseline-420.jpg"), quality=95, subsampling=2)
    image.save(os.path.join(OUT, "quadrants-baseline-444.jpg"), quality=95, subsampling=0)
    image.save(os.path.join(OUT, "quadrants-progressive.jpg"), quality=95, subsampling=2, progressive=True)
    image.save(os.path.join(OUT, "quadrants-restarts.jpg"), quality=95, subsampling=0, restart_marker_blocks=3)
    image.convert("L").save(os.path.join(OUT, "quadrants-grey.jpg"), quality=95)
    image.convert("L").save(os.path.join(OUT, "quadrants-grey-progressive.jpg"), quality=95, progressive=True)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    png("quadrants-rgb8.png", 2, 8)
    png("quadrants-rgb16.png", 2, 16)
    png("quadrants-rgba8.png", 6, 8)
    png("quadrants-rgba16-interlaced.png", 6, 16, interlace=True)
    png("quadrants-palette1.png", 3, 2)  # four entries need two bits
    png("quadrants-palette4.png", 3, 4, interlace=True)
    png("quadrants-palette8.png", 3, 8)
    png("quadrants-grey1.png", 0, 1)
    png("quadrants-grey8-interlaced.png", 0, 8, interlace=True)
    png("quadrants-greyalpha16.png", 4, 16)
    jpegs()
    print("wrote", sorted(os.listdir(OUT)))
