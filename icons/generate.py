#!/usr/bin/env python3
"""Draws the Dynaspark Desktop icon (a white four-point spark on an indigo-to-violet
rounded square) and writes every size Tauri needs: PNGs, icon.ico and icon.icns.
Pure standard library, so it runs anywhere Python 3 does: python3 icons/generate.py"""
import math
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def render(size):
    """RGBA bytes of the icon at `size` px, 4x4 supersampled."""
    ss = 4
    px = bytearray(size * size * 4)
    c0, c1 = (79, 70, 229), (168, 85, 247)  # indigo-600 -> purple-500
    radius = 0.22
    for y in range(size):
        for x in range(size):
            acc = [0.0, 0.0, 0.0, 0.0]
            for sy in range(ss):
                for sx in range(ss):
                    u = (x + (sx + 0.5) / ss) / size
                    v = (y + (sy + 0.5) / ss) / size
                    # rounded square with a margin
                    m = 0.06
                    qx = max(abs(u - 0.5) - (0.5 - m - radius), 0)
                    qy = max(abs(v - 0.5) - (0.5 - m - radius), 0)
                    if math.hypot(qx, qy) > radius:
                        continue
                    t = (u + v) / 2
                    col = [c0[i] + (c1[i] - c0[i]) * t for i in range(3)]
                    # four-point spark: |dx|^p + |dy|^p < r^p with p < 1
                    dx, dy = (u - 0.5) / 0.30, (v - 0.5) / 0.30
                    p = 0.55
                    if abs(dx) ** p + abs(dy) ** p < 1.0:
                        col = [255, 255, 255]
                    # small second spark, upper right
                    dx2, dy2 = (u - 0.73) / 0.10, (v - 0.28) / 0.10
                    if abs(dx2) ** p + abs(dy2) ** p < 1.0:
                        col = [255, 255, 255]
                    for i in range(3):
                        acc[i] += col[i]
                    acc[3] += 255
            n = ss * ss
            a = acc[3] / n
            o = (y * size + x) * 4
            if a > 0:
                cover = acc[3] / 255
                px[o:o + 4] = bytes([int(acc[0] / cover), int(acc[1] / cover), int(acc[2] / cover), int(a)])
    return bytes(px)


def png(size, rgba):
    raw = b"".join(b"\0" + rgba[y * size * 4:(y + 1) * size * 4] for y in range(size))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def downscale(src, s, d):
    """Box filter from s to d (s a multiple of d)."""
    f = s // d
    out = bytearray(d * d * 4)
    for y in range(d):
        for x in range(d):
            acc = [0, 0, 0, 0]
            wsum = 0
            for yy in range(y * f, y * f + f):
                for xx in range(x * f, x * f + f):
                    o = (yy * s + xx) * 4
                    a = src[o + 3]
                    for i in range(3):
                        acc[i] += src[o + i] * a
                    acc[3] += a
                    wsum += 1
            o = (y * d + x) * 4
            if acc[3]:
                out[o:o + 4] = bytes([acc[0] // acc[3], acc[1] // acc[3], acc[2] // acc[3], acc[3] // wsum])
    return bytes(out)


def main():
    big = 512
    master = render(big)
    sizes = {}
    for s in (16, 32, 48, 64, 128, 256, 512):
        sizes[s] = master if s == big else downscale(master, big, s)
    pngs = {s: png(s, sizes[s]) for s in sizes}
    files = {"32x32.png": 32, "64x64.png": 64, "128x128.png": 128, "128x128@2x.png": 256, "icon.png": 512}
    for name, s in files.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(pngs[s])
    # ICO with PNG-compressed entries
    ico_sizes = [16, 32, 48, 256]
    header = struct.pack("<HHH", 0, 1, len(ico_sizes))
    offset = 6 + 16 * len(ico_sizes)
    entries, blobs = b"", b""
    for s in ico_sizes:
        data = pngs[s]
        entries += struct.pack("<BBBBHHII", s % 256, s % 256, 0, 0, 1, 32, len(data), offset + len(blobs))
        blobs += data
    with open(os.path.join(HERE, "icon.ico"), "wb") as f:
        f.write(header + entries + blobs)
    # ICNS with PNG entries
    body = b""
    for kind, s in ((b"icp4", 16), (b"icp5", 32), (b"ic07", 128), (b"ic08", 256), (b"ic09", 512)):
        body += kind + struct.pack(">I", 8 + len(pngs[s])) + pngs[s]
    with open(os.path.join(HERE, "icon.icns"), "wb") as f:
        f.write(b"icns" + struct.pack(">I", 8 + len(body)) + body)


if __name__ == "__main__":
    main()
