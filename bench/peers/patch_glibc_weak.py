#!/usr/bin/env python3
"""Mark selected symbol-version requirements of an ELF shared object as weak.

Usage: patch_glibc_weak.py FILE [VERSION ...]     (default VERSION: GLIBC_2.38)

Edits FILE in place: for every Vernaux entry in .gnu.version_r (SHT_GNU_verneed)
whose name is one of VERSION, sets VER_FLG_WEAK (0x2) in vna_flags. With the flag
set, ld.so no longer refuses to load the object when the running glibc lacks that
version; the symbols bound to it must then be provided by something else (here:
an LD_PRELOADed shim). Only the stdlib is used. ELF64 little-endian only.
Idempotent: entries already weak are left as they are.
"""
import struct
import sys

SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


def cstr(buf, off):
    end = buf.index(b"\0", off)
    return buf[off:end].decode()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    wanted = set(sys.argv[2:]) or {"GLIBC_2.38"}
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        sys.exit(f"{path}: not an ELF64 little-endian file")

    # Elf64_Ehdr: e_shoff at 0x28, e_shentsize/e_shnum/e_shstrndx at 0x3A.
    e_shoff = struct.unpack_from("<Q", data, 0x28)[0]
    e_shentsize, e_shnum, _e_shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def section(i):
        # Elf64_Shdr: name, type, flags, addr, offset, size, link, info, addralign, entsize
        return struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize)

    patched = already = 0
    found = False
    for i in range(e_shnum):
        _name, sh_type, _fl, _addr, off, _size, link, info, _al, _es = section(i)
        if sh_type != SHT_GNU_VERNEED:
            continue
        found = True
        stroff = section(link)[4]  # sh_link -> the string table (.dynstr)
        vn = off
        for _ in range(info):  # sh_info = number of Verneed entries
            # Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
            _ver, cnt, vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, vn)
            lib = cstr(data, stroff + vn_file)
            aux = vn + vn_aux
            for _ in range(cnt):
                # Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
                _h, flags, other, name_off, nxt = struct.unpack_from("<IHHII", data, aux)
                name = cstr(data, stroff + name_off)
                if name in wanted:
                    if flags & VER_FLG_WEAK:
                        already += 1
                    else:
                        struct.pack_into("<H", data, aux + 4, flags | VER_FLG_WEAK)
                        patched += 1
                        print(f"{path}: {lib} {name} (index {other}) -> weak")
                if nxt == 0:
                    break
                aux += nxt
            if vn_next == 0:
                break
            vn += vn_next
    if not found:
        sys.exit(f"{path}: no .gnu.version_r section")
    if patched == 0 and already == 0:
        sys.exit(f"{path}: no version requirement named {sorted(wanted)}")
    with open(path, "r+b") as f:
        f.write(data)
    print(f"{path}: {patched} entr{'y' if patched == 1 else 'ies'} patched, {already} already weak")


if __name__ == "__main__":
    main()
