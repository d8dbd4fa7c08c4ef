#!/usr/bin/env python3
"""Writes the Draco (KHR_draco_mesh_compression) and meshopt (EXT_meshopt_compression) glTF fixtures of
Tests/MeshInspectorTests/Fixtures/gltf and the numbers Blender 3.4 reports for them
(Tests/MeshInspectorTests/Fixtures/compressed-expected.json).

    pip install DracoPy meshoptimizer numpy
    python3 scripts/make-mesh-fixtures-compressed.py

Meshes are built here (a UV sphere with normals and UVs, a flat-shaded cube, a torus, an open cylinder, two
separate grids) and compressed with the real encoders: DracoPy (Google's draco library) at several compression
levels, which pick sequential or edgebreaker connectivity (standard or valence) and different position prediction
schemes; and meshoptimizer's codecs (ATTRIBUTES v0, TRIANGLES, INDICES) with filters applied as gltfpack does.

Blender 3.4 as installed here cannot import either extension (its Draco library is not bundled; meshopt it never
read), so each compressed file is paired with the uncompressed glTF of exactly what a decoder yields (for Draco,
DracoPy's own decoding: the points and faces Blender's importer would build), and that twin is imported into a
fresh Blender and measured. Run after scripts/make-mesh-fixtures.py, which empties Fixtures/gltf. CI never runs it.
"""

import json
import math
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "MeshInspectorTests", "Fixtures")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def uv_sphere(segments=16, rings=10):
    points, normals, uvs, faces = [], [], [], []
    for r in range(rings + 1):
        theta = math.pi * r / rings
        for s in range(segments + 1):
            phi = 2 * math.pi * s / segments
            n = (math.sin(theta) * math.cos(phi), math.cos(theta), math.sin(theta) * math.sin(phi))
            points.append(n)
            normals.append(n)
            uvs.append((s / segments, r / rings))
    row = segments + 1
    for r in range(rings):
        for s in range(segments):
            a, b, c, d = r * row + s, r * row + s + 1, (r + 1) * row + s, (r + 1) * row + s + 1
            if r > 0:
                faces.append((a, b, c))
            if r < rings - 1:
                faces.append((b, d, c))
    return points, faces, normals, uvs


def flat_cube():
    points, normals, uvs, faces = [], [], [], []
    for axis in range(3):
        for sign in (-1, 1):
            base = len(points)
            u, v = (axis + 1) % 3, (axis + 2) % 3
            for (a, b) in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                p = [0.0, 0.0, 0.0]
                p[axis], p[u], p[v] = sign, a, b
                n = [0.0, 0.0, 0.0]
                n[axis] = sign
                points.append(tuple(p))
                normals.append(tuple(n))
                uvs.append(((a + 1) / 2, (b + 1) / 2))
            if sign > 0:
                faces += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
            else:
                faces += [(base, base + 2, base + 1), (base, base + 3, base + 2)]
    return points, faces, normals, uvs


def torus(major=24, minor=12, big=1.0, small=0.35):
    points, faces = [], []
    for i in range(major):
        a = 2 * math.pi * i / major
        for j in range(minor):
            b = 2 * math.pi * j / minor
            points.append(((big + small * math.cos(b)) * math.cos(a), small * math.sin(b),
                           (big + small * math.cos(b)) * math.sin(a)))
    for i in range(major):
        for j in range(minor):
            a, b = i * minor + j, ((i + 1) % major) * minor + j
            c, d = i * minor + (j + 1) % minor, ((i + 1) % major) * minor + (j + 1) % minor
            faces += [(a, b, d), (a, d, c)]
    return points, faces, None, None


def open_cylinder(segments=20, height=2.0):
    points, faces = [], []
    for level in range(3):
        for s in range(segments):
            a = 2 * math.pi * s / segments
            points.append((math.cos(a), height * level / 2, math.sin(a)))
    for level in range(2):
        for s in range(segments):
            a, b = level * segments + s, level * segments + (s + 1) % segments
            faces += [(a, b + segments, b), (a, a + segments, b + segments)]
    return points, faces, None, None


def two_grids(n=6):
    points, faces = [], []
    for offset in (0.0, 10.0):
        base = len(points)
        for y in range(n + 1):
            for x in range(n + 1):
                points.append((x + offset, y * 0.5, (x * y) % 3 * 0.1))
        for y in range(n):
            for x in range(n):
                a = base + y * (n + 1) + x
                faces += [(a, a + 1, a + n + 2), (a, a + n + 2, a + n + 1)]
    return points, faces, None, None


MESHES = {"sphere": uv_sphere, "cube": flat_cube, "torus": torus, "cylinder": open_cylinder, "grids": two_grids}


class GLB:
    def __init__(self):
        self.buffer = bytearray()
        self.doc = {"asset": {"version": "2.0", "generator": "hwc3d make-mesh-fixtures-compressed.py"},
                    "accessors": [], "bufferViews": [], "meshes": [], "nodes": [], "scenes": [{"nodes": []}],
                    "scene": 0}

    def view(self, data, **extra):
        while len(self.buffer) % 4:
            self.buffer.append(0)
        view = {"buffer": 0, "byteOffset": len(self.buffer), "byteLength": len(data)}
        view.update(extra)
        self.buffer += data
        self.doc["bufferViews"].append(view)
        return len(self.doc["bufferViews"]) - 1

    def accessor(self, **fields):
        self.doc["accessors"].append(fields)
        return len(self.doc["accessors"]) - 1

    def add_mesh(self, primitive, name):
        self.doc["meshes"].append({"name": name, "primitives": [primitive]})
        self.doc["nodes"].append({"mesh": len(self.doc["meshes"]) - 1, "name": name})
        self.doc["scenes"][0]["nodes"].append(len(self.doc["nodes"]) - 1)

    def extension(self, name, required=True):
        self.doc.setdefault("extensionsUsed", []).append(name)
        if required:
            self.doc.setdefault("extensionsRequired", []).append(name)

    def bytes(self, extra_buffers=()):
        while len(self.buffer) % 4:
            self.buffer.append(0)
        self.doc["buffers"] = [{"byteLength": len(self.buffer)}] + list(extra_buffers)
        text = json.dumps(self.doc, separators=(",", ":")).encode()
        text += b" " * ((4 - len(text) % 4) % 4)
        body = struct.pack("<I4s", len(text), b"JSON") + text + struct.pack("<I4s", len(self.buffer), b"BIN\0") + self.buffer
        return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body


def bounds(points):
    return [min(p[i] for p in points) for i in range(3)], [max(p[i] for p in points) for i in range(3)]


def plain_glb(name, points, faces, normals=None, uvs=None):
    """The uncompressed twin: float positions (normals, UVs), 32-bit triangle indices."""
    glb = GLB()
    low, high = bounds(points)
    attributes = {"POSITION": glb.accessor(bufferView=glb.view(b"".join(struct.pack("<3f", *p) for p in points)),
                                           componentType=5126, count=len(points), type="VEC3", min=low, max=high)}
    if normals is not None:
        attributes["NORMAL"] = glb.accessor(bufferView=glb.view(b"".join(struct.pack("<3f", *n) for n in normals)),
                                            componentType=5126, count=len(normals), type="VEC3")
    if uvs is not None:
        attributes["TEXCOORD_0"] = glb.accessor(bufferView=glb.view(b"".join(struct.pack("<2f", *t) for t in uvs)),
                                                componentType=5126, count=len(uvs), type="VEC2")
    flat = [i for f in faces for i in f]
    indices = glb.accessor(bufferView=glb.view(struct.pack("<%dI" % len(flat), *flat)), componentType=5125,
                           count=len(flat), type="SCALAR")
    glb.add_mesh({"attributes": attributes, "indices": indices, "mode": 4}, name)
    return glb.bytes()


def draco_glb(name, points, faces, normals, uvs, level, bits, quantize_all=False):
    """A KHR_draco_mesh_compression primitive from DracoPy, and the twin built from DracoPy's own decoding."""
    import DracoPy
    import numpy
    kwargs = {}
    if normals is not None:
        kwargs["normals"] = numpy.array(normals, dtype=numpy.float64)
    if uvs is not None:
        kwargs["tex_coord"] = numpy.array(uvs, dtype=numpy.float64)
    if quantize_all:
        # As Blender's exporter does: normals and UVs quantised too (then predicted with their own schemes).
        kwargs["normal_quantization_bits"] = 10
        kwargs["tex_coord_quantization_bits"] = 12
    stream = DracoPy.encode(numpy.array(points, dtype=numpy.float32), numpy.array(faces, dtype=numpy.uint32),
                            quantization_bits=bits, compression_level=level, **kwargs)
    decoded = DracoPy.decode(stream)
    out_points = [tuple(map(float, p)) for p in decoded.points]
    out_faces = [tuple(map(int, f)) for f in decoded.faces]
    glb = GLB()
    glb.extension("KHR_draco_mesh_compression")
    view = glb.view(stream)
    low, high = bounds(out_points)
    # The extension names Draco attributes by unique id; DracoPy numbers them its own way, so ask its decoder.
    by_type = {a["attribute_type"]: a["unique_id"] for a in decoded.attributes}
    ids = {"POSITION": by_type[0]}
    attributes = {"POSITION": glb.accessor(componentType=5126, count=len(out_points), type="VEC3", min=low, max=high)}
    if normals is not None:
        ids["NORMAL"] = by_type[1]
        attributes["NORMAL"] = glb.accessor(componentType=5126, count=len(out_points), type="VEC3")
    if uvs is not None:
        ids["TEXCOORD_0"] = by_type[3]
        attributes["TEXCOORD_0"] = glb.accessor(componentType=5126, count=len(out_points), type="VEC2")
    indices = glb.accessor(componentType=5125 if len(out_points) > 65535 else 5123, count=len(out_faces) * 3,
                           type="SCALAR")
    glb.add_mesh({"attributes": attributes, "indices": indices, "mode": 4,
                  "extensions": {"KHR_draco_mesh_compression": {"bufferView": view, "attributes": ids}}}, name)
    twin_normals = [tuple(map(float, n)) for n in decoded.normals] if normals is not None and len(decoded.normals) else None
    twin_uvs = [tuple(map(float, t)) for t in decoded.tex_coord] if uvs is not None and len(decoded.tex_coord) else None
    return glb.bytes(), plain_glb(name, out_points, out_faces, twin_normals, twin_uvs), out_points, out_faces


def quantize_exp(values):
    """EXPONENTIAL filter input as gltfpack writes it: one shared exponent per element, 24-bit mantissas."""
    words = []
    for element in values:
        largest = max(abs(v) for v in element) or 1.0
        exponent = math.frexp(largest)[1] - 23
        exponent = max(-100, min(100, exponent))
        for v in element:
            mantissa = int(round(v / 2.0 ** exponent))
            words.append(((exponent & 0xFF) << 24) | (mantissa & 0xFFFFFF))
    return b"".join(struct.pack("<I", w) for w in words)


def quantize_oct(normals, bits=10):
    """OCTAHEDRAL filter input, 16-bit components (stride 8): x, y in octahedral form, 1.0, padding."""
    one = (1 << (bits - 1)) - 1
    out = bytearray()
    for (x, y, z) in normals:
        length = abs(x) + abs(y) + abs(z) or 1.0
        u, v = x / length, y / length
        if z < 0:
            u, v = (1 - abs(v)) * (1 if u >= 0 else -1), (1 - abs(u)) * (1 if v >= 0 else -1)
        out += struct.pack("<4h", int(round(u * one)), int(round(v * one)), one, 0)
    return bytes(out)


def meshopt_glb(name, points, faces, normals, index_mode):
    """EXT_meshopt_compression views: positions (EXPONENTIAL filter, or plain floats), normals (OCTAHEDRAL),
    indices (TRIANGLES or INDICES), with an uncompressed fallback buffer that has no data (as gltfpack -c)."""
    import meshoptimizer
    import numpy
    meshoptimizer.encode_vertex_version(0)
    meshoptimizer.encode_index_version(1)
    glb = GLB()
    glb.extension("EXT_meshopt_compression")
    fallback_views = []

    def compressed(raw, stride, count, mode, filter_name, encoded):
        data_view = glb.view(encoded)
        source = glb.doc["bufferViews"].pop(data_view)
        extension = {"buffer": 0, "byteOffset": source["byteOffset"], "byteLength": source["byteLength"],
                     "byteStride": stride, "count": count, "mode": mode}
        if filter_name != "NONE":
            extension["filter"] = filter_name
        view = {"buffer": 1, "byteOffset": sum(len(r) for r in fallback_views), "byteLength": len(raw),
                "extensions": {"EXT_meshopt_compression": extension}}
        if mode == "ATTRIBUTES":
            view["byteStride"] = stride
        fallback_views.append(raw + b"\0" * ((4 - len(raw) % 4) % 4))
        glb.doc["bufferViews"].append(view)
        return len(glb.doc["bufferViews"]) - 1

    # Positions: EXPONENTIAL-filtered for the sphere-like meshes, plain floats (12 bytes padded to 16) otherwise.
    low, high = bounds(points)
    if name.startswith("sphere"):
        raw = quantize_exp([p + (0.0,) for p in points])
        array = numpy.frombuffer(raw, dtype=numpy.uint8).reshape(len(points), 16)
        position_view = compressed(raw, 16, len(points), "ATTRIBUTES", "EXPONENTIAL",
                                   meshoptimizer.encode_vertex_buffer(array, len(points), 16))
    else:
        raw = b"".join(struct.pack("<4f", *p, 0.0) for p in points)
        array = numpy.frombuffer(raw, dtype=numpy.uint8).reshape(len(points), 16)
        position_view = compressed(raw, 16, len(points), "ATTRIBUTES", "NONE",
                                   meshoptimizer.encode_vertex_buffer(array, len(points), 16))
    attributes = {"POSITION": glb.accessor(bufferView=position_view, componentType=5126, count=len(points),
                                           type="VEC3", min=low, max=high)}
    if normals is not None:
        raw = quantize_oct(normals)
        array = numpy.frombuffer(raw, dtype=numpy.uint8).reshape(len(normals), 8)
        normal_view = compressed(raw, 8, len(normals), "ATTRIBUTES", "OCTAHEDRAL",
                                 meshoptimizer.encode_vertex_buffer(array, len(normals), 8))
        attributes["NORMAL"] = glb.accessor(bufferView=normal_view, componentType=5122, normalized=True,
                                            count=len(normals), type="VEC3")
    flat = numpy.array([i for f in faces for i in f], dtype=numpy.uint32)
    if index_mode == "TRIANGLES":
        encoded = meshoptimizer.encode_index_buffer(flat, len(flat), len(points))
    else:
        encoded = meshoptimizer.encode_index_sequence(flat, len(flat), len(points))
    raw16 = struct.pack("<%dH" % len(flat), *flat.tolist())
    index_view = compressed(raw16, 2, len(flat), index_mode, "NONE", encoded_16(encoded, flat, index_mode))
    indices = glb.accessor(bufferView=index_view, componentType=5123, count=len(flat), type="SCALAR")
    glb.add_mesh({"attributes": attributes, "indices": indices, "mode": 4}, name)
    fallback = {"byteLength": sum(len(r) for r in fallback_views),
                "extensions": {"EXT_meshopt_compression": {"fallback": True}}}
    return glb.bytes([fallback])


def encoded_16(encoded, flat, mode):
    # The index codecs do not depend on the index width; the decoder writes 2 or 4 bytes per the view's stride.
    return encoded


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def blender_measure(path):
    sys.argv = [sys.argv[0]]
    import importlib.util
    spec = importlib.util.spec_from_file_location("fixtures", os.path.join(ROOT, "scripts", "make-mesh-fixtures.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.blender_measure(path)


def measure(path):
    command = ["blender", "-b", "--factory-startup", "--python-exit-code", "1", "--python", os.path.abspath(__file__),
               "--", "measure", path]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYENV", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".pyenv" not in p and "venv" not in p)
    run = subprocess.run(command, capture_output=True, text=True, env=env)
    lines = [line for line in run.stdout.splitlines() if line.startswith("FIXTURE-RESULT ")]
    if run.returncode != 0 or not lines:
        return {"error": (run.stdout + run.stderr)[-400:]}
    return json.loads(lines[-1][len("FIXTURE-RESULT "):])


def main():
    gltf = os.path.join(FIXTURES, "gltf")
    os.makedirs(gltf, exist_ok=True)
    work = tempfile.mkdtemp()
    expected = {}
    # Compression level -> what draco picks: 10 sequential; 5..9 standard edgebreaker, delta/parallelogram
    # prediction; 0..4 valence edgebreaker, multi-parallelogram.
    draco_cases = [("sphere", 7, 14, False), ("sphere", 0, 12, False), ("sphere", 10, 14, False),
                   ("sphere", 5, 14, True), ("cube", 7, 14, False), ("cube", 1, 11, True), ("torus", 7, 14, False),
                   ("torus", 0, 14, False), ("cylinder", 4, 14, False), ("grids", 7, 10, False),
                   ("grids", 10, 14, False)]
    for mesh, level, bits, quantize_all in draco_cases:
        points, faces, normals, uvs = MESHES[mesh]()
        name = "draco_%s_l%d%s" % (mesh, level, "_q" if quantize_all else "")
        compressed, twin, _, _ = draco_glb(name, points, faces, normals, uvs, level, bits, quantize_all)
        write(os.path.join(gltf, name + ".glb"), compressed)
        write(os.path.join(work, name + "_twin.glb"), twin)
        direct = measure(os.path.join(gltf, name + ".glb"))
        result = measure(os.path.join(work, name + "_twin.glb"))
        result["blenderImportsCompressedFile"] = "error" not in direct
        expected["gltf/" + name + ".glb"] = result
        print(name, result.get("vertexCount"), result.get("triangleCount"), "direct:", "error" not in direct)
    for mesh, mode in [("sphere", "TRIANGLES"), ("cube", "TRIANGLES"), ("torus", "INDICES"), ("grids", "TRIANGLES")]:
        points, faces, normals, uvs = MESHES[mesh]()
        name = "meshopt_%s_%s" % (mesh, mode.lower())
        write(os.path.join(gltf, name + ".glb"), meshopt_glb(name, points, faces, normals, mode))
        twin = os.path.join(work, name + "_twin.glb")
        write(twin, plain_glb(name, points, faces, normals, uvs))
        result = measure(twin)
        result["blenderImportsCompressedFile"] = "error" not in measure(os.path.join(gltf, name + ".glb"))
        expected["gltf/" + name + ".glb"] = result
        print(name, result.get("vertexCount"), result.get("triangleCount"))
    with open(os.path.join(FIXTURES, "compressed-expected.json"), "w") as f:
        json.dump(expected, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    if "--" in sys.argv and sys.argv[sys.argv.index("--") + 1] == "measure":
        blender_measure(sys.argv[sys.argv.index("--") + 2])
    else:
        main()
