/*
 * emgf_core.h - the portable C of the EMGF reference firmware, in one include.
 *
 * This folder (lib/emgf_core/) is the only copy of the portable C99 core: an
 * Arduino library (library.properties + src/) that PlatformIO finds in lib/
 * beside platformio.ini, that arduino-cli takes with --library, and that the
 * host tests compile with gcc directly. A sketch includes this header; its
 * name, unlike "ringbuf.h", cannot be mistaken for another library's header
 * when a builder resolves includes to libraries.
 */
#ifndef EMGF_CORE_H
#define EMGF_CORE_H

#include "crc16.h"
#include "emgf.h"
#include "ringbuf.h"

#endif /* EMGF_CORE_H */
