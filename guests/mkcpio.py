#!/usr/bin/env python3
"""Write a newc cpio archive from a spec file, as the kernel's gen_init_cpio does, without root
(device nodes need no mknod) and reproducibly (mtime 0, uid/gid 0).

Spec lines:  dir PATH MODE | file PATH SRC MODE | slink PATH TARGET | nod PATH MODE c|b MAJ MIN
usage: mkcpio.py SPEC > archive.cpio
"""
import os
import stat
import sys


def header(ino, mode, nlink, size, rmaj, rmin, name):
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rmaj, rmin, len(name) + 1, 0]
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def pad(n):
    return b"\0" * ((4 - n % 4) % 4)


def main():
    out = sys.stdout.buffer
    ino = 721
    for raw in open(sys.argv[1]):
        parts = raw.split()
        if not parts or parts[0].startswith("#"):
            continue
        kind, path = parts[0], parts[1].lstrip("/")
        data, rmaj, rmin = b"", 0, 0
        if kind == "dir":
            mode = stat.S_IFDIR | int(parts[2], 8)
        elif kind == "file":
            data = open(parts[2], "rb").read()
            mode = stat.S_IFREG | int(parts[3], 8)
        elif kind == "slink":
            data = parts[2].encode()
            mode = stat.S_IFLNK | 0o777
        elif kind == "nod":
            mode = (stat.S_IFCHR if parts[3] == "c" else stat.S_IFBLK) | int(parts[2], 8)
            rmaj, rmin = int(parts[4]), int(parts[5])
        else:
            sys.exit("mkcpio: bad spec line: " + raw.strip())
        name = path.encode()
        hdr = header(ino, mode, 2 if kind == "dir" else 1, len(data), rmaj, rmin, name)
        out.write(hdr + name + b"\0" + pad(len(hdr) + len(name) + 1) + data + pad(len(data)))
        ino += 1
    name = b"TRAILER!!!"
    hdr = header(0, 0, 1, 0, 0, 0, name)
    out.write(hdr + name + b"\0" + pad(len(hdr) + len(name) + 1))


main()
