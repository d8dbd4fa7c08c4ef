#ifndef HWC3D_CVIPS_SHIM_H
#define HWC3D_CVIPS_SHIM_H
#include <vips/vips.h>

/* libvips' operations are variadic, which Swift cannot call; these fixed-argument wrappers are the
   only entry points the application needs. Loading fails on any decode error (a truncated file is refused,
   not padded with grey). */
static inline int hwc3d_vips_thumbnail_buffer_square(void *buf, size_t len, VipsImage **out, int size) {
    return vips_thumbnail_buffer(buf, len, out, size, "height", size, "crop", VIPS_INTERESTING_CENTRE,
                                 "fail_on", VIPS_FAIL_ON_ERROR, NULL);
}
static inline int hwc3d_vips_thumbnail_buffer_width(void *buf, size_t len, VipsImage **out, int width) {
    return vips_thumbnail_buffer(buf, len, out, width, "size", VIPS_SIZE_DOWN, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
}
static inline VipsImage *hwc3d_vips_image_new_from_buffer(const void *buf, size_t len) {
    return vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
}
/* Decodes every pixel once with failure on any error: a truncated or corrupt file is refused here, before a
   thumbnail is made from whatever part of it could be read. */
static inline int hwc3d_vips_decodes_cleanly(const void *buf, size_t len) {
    VipsImage *image = vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL,
                                                  "fail_on", VIPS_FAIL_ON_ERROR, NULL);
    if (!image) return -1;
    double ignored;
    int result = vips_avg(image, &ignored, NULL);
    g_object_unref(image);
    return result;
}
static inline int hwc3d_vips_webpsave_buffer(VipsImage *in, void **buf, size_t *len, int quality) {
    return vips_webpsave_buffer(in, buf, len, "Q", quality, "strip", TRUE, NULL);
}
static inline int hwc3d_vips_jpegsave_buffer(VipsImage *in, void **buf, size_t *len, int quality) {
    return vips_jpegsave_buffer(in, buf, len, "Q", quality, "strip", TRUE, "interlace", TRUE, NULL);
}
static inline int hwc3d_vips_pngsave_buffer(VipsImage *in, void **buf, size_t *len) {
    return vips_pngsave_buffer(in, buf, len, "strip", TRUE, NULL);
}
static inline void hwc3d_g_object_unref(void *obj) { g_object_unref(obj); }
#endif
