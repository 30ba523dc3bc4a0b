/*
 * LD_PRELOAD shim so a binary linked against glibc >= 2.38 can run on glibc 2.36.
 *
 * glibc 2.38 redirects strtol/strtoul/sscanf to C23 variants (__isoc23_*) when
 * compiling with C2x/GNU extensions. The uWebSockets.js addon we load references
 * exactly these three at GLIBC_2.38. patch_glibc_weak.py marks that version
 * requirement weak in a copy of the addon; this shim provides the symbols (the
 * only C23 difference -- accepting "0b" binary prefixes -- does not matter here).
 *
 * Build: gcc -O2 -shared -fPIC -o libglibc_shim.so glibc_shim.c
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

long __isoc23_strtol(const char *nptr, char **endptr, int base) {
    return strtol(nptr, endptr, base);
}

unsigned long __isoc23_strtoul(const char *nptr, char **endptr, int base) {
    return strtoul(nptr, endptr, base);
}

int __isoc23_sscanf(const char *str, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    int r = vsscanf(str, format, ap);
    va_end(ap);
    return r;
}
