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
/* Gallery renditions: scaled down (never up) to `width` pixels wide while at most `max_height` tall, keeping the
   aspect ratio. Unlike the plain `width` form, whose default height equals the width, a portrait image keeps its
   full width instead of being fitted into a square. EXIF orientation is applied. */
static inline int hwc3d_vips_thumbnail_buffer_fit(void *buf, size_t len, VipsImage **out, int width, int max_height) {
    return vips_thumbnail_buffer(buf, len, out, width, "height", max_height, "size", VIPS_SIZE_DOWN,
                                 "fail_on", VIPS_FAIL_ON_ERROR, NULL);
}
/* The same fit from an image already decoded (and oriented) in memory, so smaller renditions need no second decode. */
static inline int hwc3d_vips_thumbnail_image_fit(VipsImage *in, VipsImage **out, int width, int max_height) {
    return vips_thumbnail_image(in, out, width, "height", max_height, "size", VIPS_SIZE_DOWN, "no_rotate", TRUE, NULL);
}
static inline int hwc3d_vips_colourspace_srgb(VipsImage *in, VipsImage **out) {
    return vips_colourspace(in, out, VIPS_INTERPRETATION_sRGB, NULL);
}
/* JPEG has no alpha: transparent areas become white, as they look on the site, instead of black. */
static inline int hwc3d_vips_flatten_white(VipsImage *in, VipsImage **out) {
    double white[1] = {255.0};
    VipsArrayDouble *background = vips_array_double_new(white, 1);
    int result = vips_flatten(in, out, "background", background, NULL);
    vips_area_unref(VIPS_AREA(background));
    return result;
}
static inline void hwc3d_g_object_unref(void *obj) { g_object_unref(obj); }
/* Raw 8-bit RGB pixels (a rendered model preview) as an image; libvips copies them and reads 3-band uchar data as
   sRGB. Saved as PNG with light compression: it is only handed straight back to the rendition pipeline. */
static inline VipsImage *hwc3d_vips_image_new_from_rgb(const void *pixels, size_t len, int width, int height) {
    return vips_image_new_from_memory_copy(pixels, len, width, height, 3, VIPS_FORMAT_UCHAR);
}
static inline int hwc3d_vips_pngsave_buffer_fast(VipsImage *in, void **buf, size_t *len) {
    return vips_pngsave_buffer(in, buf, len, "compression", 1, "strip", TRUE, NULL);
}
#endif
