#!/usr/bin/env python3
"""pack_ml5.py FOLDER OUT: packs an ml5.js model folder into one file, the input format of
fuzz_ml5.c: for each file, its name, a NUL byte, its length (4 bytes little-endian), its bytes."""
import os
import struct
import sys


def main():
    folder, out = sys.argv[1], sys.argv[2]
    with open(out, "wb") as f:
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), "rb") as g:
                data = g.read()
            f.write(name.encode() + b"\0" + struct.pack("<I", len(data)) + data)


if __name__ == "__main__":
    main()
