#ifndef HWC3D_CCOMPRESSION_SHIM_H
#define HWC3D_CCOMPRESSION_SHIM_H
// zlib (FBX array payloads, gzip-wrapped .blend files) and zstd (Blender 3.0+ compressed saves).
#include <zlib.h>
#include <zstd.h>
#endif
