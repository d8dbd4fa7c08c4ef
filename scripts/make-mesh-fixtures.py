#!/usr/bin/env python3
"""Regenerates the glTF, OBJ and zip-bundle fixtures of Tests/MeshInspectorTests and the numbers Blender reports
for them (Tests/MeshInspectorTests/Fixtures/expected.json).

Run with plain Python 3 from the repository root (Blender 3.4 on PATH; its glTF importer also needs Debian's
python3-numpy):

    python3 scripts/make-mesh-fixtures.py
    python3 scripts/make-mesh-fixtures.py obj-edge-cases   # only the OBJ edge cases (obj/edge-*.obj)

One headless Blender builds the scenes and exports them with Blender's own exporters (default options). Other
fixtures are written by this script directly, as a tool other than Blender would (non-indexed primitives, strips
and fans, points, shared meshes, negative OBJ indices, line continuations...). Then every fixture is imported into
a fresh Blender with default options and measured there: the numbers come from Blender's scene statistics, not
from this script. The fixtures are committed; CI never runs this.
"""

import base64
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "MeshInspectorTests", "Fixtures")


# ---------------------------------------------------------------------------------------------------------------
# Files written without Blender
# ---------------------------------------------------------------------------------------------------------------

def checker_png(size=16):
    """A small black-and-white checker PNG, written by hand so no image library is needed."""
    rows = b""
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            value = 255 if (x // 4 + y // 4) % 2 else 30
            row += bytes([value, value, value])
        rows += bytes(row)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class GLTFBuilder:
    """Builds a glTF 2.0 document and its single binary buffer, the way a small exporter would."""

    def __init__(self):
        self.buffer = bytearray()
        self.doc = {"asset": {"version": "2.0", "generator": "hwc3d make-mesh-fixtures.py"},
                    "accessors": [], "bufferViews": [], "meshes": [], "nodes": []}

    def _view(self, data, target=None):
        while len(self.buffer) % 4:
            self.buffer.append(0)
        view = {"buffer": 0, "byteOffset": len(self.buffer), "byteLength": len(data)}
        if target:
            view["target"] = target
        self.buffer += data
        self.doc["bufferViews"].append(view)
        return len(self.doc["bufferViews"]) - 1

    def positions(self, points):
        data = b"".join(struct.pack("<3f", *p) for p in points)
        view = self._view(data, 34962)
        self.doc["accessors"].append({
            "bufferView": view, "componentType": 5126, "count": len(points), "type": "VEC3",
            "min": [min(p[i] for p in points) for i in range(3)],
            "max": [max(p[i] for p in points) for i in range(3)]})
        return len(self.doc["accessors"]) - 1

    def indices(self, values, component_type):
        fmt = {5121: "B", 5123: "H", 5125: "I"}[component_type]
        view = self._view(struct.pack("<%d%s" % (len(values), fmt), *values), 34963)
        self.doc["accessors"].append({"bufferView": view, "componentType": component_type,
                                      "count": len(values), "type": "SCALAR"})
        return len(self.doc["accessors"]) - 1

    def mesh(self, primitives, name):
        self.doc["meshes"].append({"name": name, "primitives": primitives})
        return len(self.doc["meshes"]) - 1

    def node(self, **fields):
        self.doc["nodes"].append(fields)
        return len(self.doc["nodes"]) - 1

    def glb(self):
        while len(self.buffer) % 4:
            self.buffer.append(0)
        self.doc["buffers"] = [{"byteLength": len(self.buffer)}]
        text = json.dumps(self.doc, separators=(",", ":")).encode()
        text += b" " * ((4 - len(text) % 4) % 4)
        body = struct.pack("<I4s", len(text), b"JSON") + text + struct.pack("<I4s", len(self.buffer), b"BIN\0") + self.buffer
        return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body

    def embedded_gltf(self):
        self.doc["buffers"] = [{"byteLength": len(self.buffer),
                                "uri": "data:application/octet-stream;base64," + base64.b64encode(bytes(self.buffer)).decode()}]
        return json.dumps(self.doc, indent=1).encode()


def grid(columns, rows, z=0.0, offset=(0, 0)):
    return [(offset[0] + x, offset[1] + y, z) for y in range(rows + 1) for x in range(columns + 1)]


def handmade_glb():
    """Several primitive kinds in one file: non-indexed triangles, uint16 quads, a uint8 strip with a degenerate
    restart, a fan, a POINTS primitive, a duplicated triangle, nested transformed nodes and a mesh used twice."""
    g = GLTFBuilder()
    g.doc["materials"] = [{"name": "Red", "pbrMetallicRoughness": {"baseColorFactor": [1, 0, 0, 1]}}]
    loose = g.positions([(0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)])
    quad_points = grid(3, 2, offset=(2, 0))
    quads = g.positions(quad_points)
    quad_indices = []
    for y in range(2):
        for x in range(3):
            a = y * 4 + x
            quad_indices += [a, a + 1, a + 5, a, a + 5, a + 4]
    quad_indices += quad_indices[:3]  # one triangle twice: Blender keeps one
    strip_points = grid(4, 1, z=1.0)
    strip = g.positions(strip_points)
    strip_indices = [0, 5, 1, 6, 2, 2, 7, 7, 3, 8, 4, 9]  # degenerate pair in the middle
    fan = g.positions([(0, 0, 2), (1, 0, 2), (0.7, 0.7, 2), (0, 1, 2), (-0.7, 0.7, 2), (-1, 0, 2)])
    points = g.positions([(5, 5, 5), (6, 5, 5), (5, 6, 5)])
    first = g.mesh([
        {"attributes": {"POSITION": loose}, "material": 0},
        {"attributes": {"POSITION": quads}, "indices": g.indices(quad_indices, 5123), "material": 0},
    ], "loose_and_quads")
    second = g.mesh([
        {"attributes": {"POSITION": strip}, "indices": g.indices(strip_indices, 5121), "mode": 5},
        {"attributes": {"POSITION": fan}, "mode": 6},
        {"attributes": {"POSITION": points}, "mode": 0},
    ], "strip_fan_points")
    child = g.node(name="strip_child", mesh=second, translation=[0, 0, 3], scale=[2, 2, 2])
    g.node(name="root", mesh=first, children=[child], rotation=[0, 0.7071068, 0, 0.7071068])
    g.node(name="copy", mesh=first, translation=[10, 0, 0])
    g.doc["scene"] = 0
    g.doc["scenes"] = [{"nodes": [1, 2]}]
    return g.glb()


def strips_gltf():
    """Embedded (data: URI) glTF with a uint32 triangle strip and a non-indexed fan, one mesh instanced twice."""
    g = GLTFBuilder()
    points = grid(8, 1)
    indices = []
    for x in range(9):
        indices += [x, x + 9]
    strip = g.positions(points)
    mesh = g.mesh([{"attributes": {"POSITION": strip}, "indices": g.indices(indices, 5125), "mode": 5},
                   {"attributes": {"POSITION": g.positions([(0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)])}, "mode": 6}],
                  "ribbon")
    g.node(name="a", mesh=mesh)
    g.node(name="b", mesh=mesh, matrix=[1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 3, 0, 1])
    g.doc["scenes"] = [{"nodes": [0, 1]}]
    return g.embedded_gltf()


def shared_quad_gltf(skinned=False, morph=False):
    """One quad mesh placed by two nodes. Blender shares the mesh between the two objects, and its statistics count
    shared geometry once, unless each object evaluates its own copy: a skin (armature modifier) or morph targets."""
    g = GLTFBuilder()
    quad = g.positions([(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)])
    primitive = {"attributes": {"POSITION": quad}, "indices": g.indices([0, 1, 2, 0, 2, 3], 5123)}
    if skinned:
        g.doc["accessors"].append({"bufferView": g._view(bytes(16)), "componentType": 5121, "count": 4, "type": "VEC4"})
        joints = len(g.doc["accessors"]) - 1
        g.doc["accessors"].append({"bufferView": g._view(struct.pack("<16f", *([1, 0, 0, 0] * 4))),
                                   "componentType": 5126, "count": 4, "type": "VEC4"})
        primitive["attributes"].update({"JOINTS_0": joints, "WEIGHTS_0": joints + 1})
    if morph:
        primitive["targets"] = [{"POSITION": g.positions([(0, 0, 0.5)] * 4)}]
    mesh = g.mesh([primitive], "quad")
    extra = {"skin": 0} if skinned else {}
    g.node(name="first", mesh=mesh, **extra)
    g.node(name="second", mesh=mesh, translation=[2, 0, 0], **extra)
    if skinned:
        g.node(name="joint")
        g.doc["skins"] = [{"joints": [2]}]
    return g.embedded_gltf()


HANDMADE_OBJ = (
    "# written by hand: negative indices, v/vt/vn forms, a line continuation, groups and CRLF line ends\r\n"
    "mtllib handmade.mtl\r\n"
    "v 0 0 0\r\nv 1 0 0\r\nv 1 1 0\r\nv 0 1 0\r\nv 9 9 9\r\n"
    "vt 0 0\r\nvt 1 0\r\nvt 1 1\r\nvt 0 1\r\n"
    "vn 0 0 1\r\n"
    "o Plate\r\n"
    "g front\r\n"
    "usemtl Painted\r\n"
    "f 1/1/1 2/2/1 3/3/1 4/4/1\r\n"
    "g back\r\n"
    "f -2//1 -3//1 \\\r\n  -4//1\r\n"
    "o Pentagon\r\n"
    "v 3 0 0\r\nv 4 0 0\r\nv 4.5 1 0\r\nv 3.5 1.8 0\r\nv 2.5 1 0\r\n"
    "usemtl Wood\r\n"
    "f -5/1 -4/2 -3/3 -2/4 -1/1\r\n"
    "o Wire\r\n"
    "l 1 6\r\n"
)

HANDMADE_MTL = (
    "newmtl Painted\nKd 0.8 0.1 0.1\nmap_Kd -s 1 1 1 checker.png\nmap_Bump -bm 0.3 checker.png\n"
    "newmtl Wood\nKd 0.5 0.3 0.1\nmap_Kd wood.png\nmap_Ka ambient_ignored.png\n"
    "newmtl Unused\nmap_Kd unused.png\n"
)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def zip_dir(source, target, prefix):
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(os.listdir(source)):
            archive.write(os.path.join(source, name), prefix + name)


# ---------------------------------------------------------------------------------------------------------------
# Inside Blender
# ---------------------------------------------------------------------------------------------------------------

def blender_build(out, work):
    import bpy
    from mathutils import Vector

    def reset():
        bpy.ops.wm.read_factory_settings(use_empty=True)

    def export(name, formats, obj_materials=True):
        for kind in formats:
            if kind == "glb":
                bpy.ops.export_scene.gltf(filepath=os.path.join(out, "gltf", name + ".glb"), export_format="GLB")
            elif kind == "obj":
                bpy.ops.wm.obj_export(filepath=os.path.join(out, "obj", name + ".obj"),
                                      export_materials=obj_materials, path_mode="STRIP")

    def material(name, color):
        m = bpy.data.materials.new(name)
        m.use_nodes = True
        m.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = color
        return m

    reset()
    bpy.ops.mesh.primitive_cube_add(size=2)
    export("cube", ["glb", "obj"], obj_materials=False)

    reset()
    bpy.ops.mesh.primitive_uv_sphere_add(segments=24, ring_count=12, radius=0.5)
    export("uv_sphere", ["glb", "obj"], obj_materials=False)

    reset()
    bpy.ops.mesh.primitive_monkey_add(size=2)
    export("suzanne", ["glb", "obj"], obj_materials=False)

    reset()  # quads and n-gons: a cylinder with n-gon caps, a grid of quads and a filled circle
    bpy.ops.mesh.primitive_cylinder_add(vertices=10, end_fill_type="NGON", location=(0, 0, 0))
    bpy.ops.mesh.primitive_grid_add(x_subdivisions=4, y_subdivisions=3, size=2, location=(3, 0, 0))
    bpy.ops.mesh.primitive_circle_add(vertices=7, fill_type="NGON", location=(-3, 0, 0))
    export("quads_ngons", ["glb", "obj"], obj_materials=False)

    reset()  # one cube, three materials on its faces
    bpy.ops.mesh.primitive_cube_add(size=2)
    cube = bpy.context.object
    for index, (name, color) in enumerate([("Red", (1, 0, 0, 1)), ("Green", (0, 1, 0, 1)), ("Blue", (0, 0, 1, 1))]):
        cube.data.materials.append(material(name, color))
    for polygon in cube.data.polygons:
        polygon.material_index = polygon.index % 3
    export("multi_material", ["glb", "obj"])

    reset()  # linked duplicates: three objects share one cube mesh, beside a sphere
    bpy.ops.mesh.primitive_cube_add(size=1)
    shared = bpy.context.object
    for x in (2, 4):
        twin = bpy.data.objects.new("Cube.%d" % x, shared.data)
        twin.location = (x, 0, 0)
        bpy.context.collection.objects.link(twin)
    bpy.ops.mesh.primitive_uv_sphere_add(segments=12, ring_count=6, radius=0.5, location=(0, 3, 0))
    export("instanced", ["glb"])

    reset()  # a textured cube: separate .bin + png, embedded data URIs, and OBJ + MTL + png
    png = os.path.join(work, "checker.png")
    write(png, checker_png())
    bpy.ops.mesh.primitive_cube_add(size=2)
    cube = bpy.context.object
    m = material("Checker", (1, 1, 1, 1))
    texture = m.node_tree.nodes.new("ShaderNodeTexImage")
    texture.image = bpy.data.images.load(png)
    m.node_tree.links.new(texture.outputs["Color"], m.node_tree.nodes["Principled BSDF"].inputs["Base Color"])
    cube.data.materials.append(m)
    separate = os.path.join(work, "textured_gltf")
    os.makedirs(separate, exist_ok=True)
    bpy.ops.export_scene.gltf(filepath=os.path.join(separate, "textured.gltf"), export_format="GLTF_SEPARATE")
    bpy.ops.export_scene.gltf(filepath=os.path.join(out, "gltf", "textured_embedded.gltf"),
                              export_format="GLTF_EMBEDDED")
    textured_obj = os.path.join(work, "textured_obj")
    os.makedirs(textured_obj, exist_ok=True)
    bpy.ops.wm.obj_export(filepath=os.path.join(textured_obj, "textured.obj"), path_mode="STRIP")
    shutil.copy(png, textured_obj)

    reset()  # a rigged, animated character made of primitives
    parts = []
    for op, kwargs, location, scale in [
        (bpy.ops.mesh.primitive_cube_add, {"size": 1}, (0, 0, 1.3), (0.6, 0.3, 0.8)),
        (bpy.ops.mesh.primitive_uv_sphere_add, {"segments": 12, "ring_count": 8, "radius": 0.25}, (0, 0, 2.0), (1, 1, 1)),
        (bpy.ops.mesh.primitive_cylinder_add, {"vertices": 8, "radius": 0.08, "depth": 0.8}, (-0.45, 0, 1.35), (1, 1, 1)),
        (bpy.ops.mesh.primitive_cylinder_add, {"vertices": 8, "radius": 0.08, "depth": 0.8}, (0.45, 0, 1.35), (1, 1, 1)),
        (bpy.ops.mesh.primitive_cylinder_add, {"vertices": 8, "radius": 0.1, "depth": 0.9}, (-0.15, 0, 0.45), (1, 1, 1)),
        (bpy.ops.mesh.primitive_cylinder_add, {"vertices": 8, "radius": 0.1, "depth": 0.9}, (0.15, 0, 0.45), (1, 1, 1)),
    ]:
        op(location=location, **kwargs)
        bpy.context.object.scale = scale
        parts.append(bpy.context.object)
    for part in parts:
        part.select_set(True)
    bpy.context.view_layer.objects.active = parts[0]
    bpy.ops.object.transform_apply(location=False, rotation=False, scale=True)
    bpy.ops.object.join()
    body = bpy.context.object
    body.name = "Character"
    body.data.materials.append(material("Skin", (0.9, 0.7, 0.6, 1)))
    bpy.ops.object.armature_add(location=(0, 0, 0))
    rig = bpy.context.object
    rig.name = "Rig"
    bpy.ops.object.mode_set(mode="EDIT")
    bones = rig.data.edit_bones
    root = bones[0]
    root.name = "spine"
    root.head, root.tail = Vector((0, 0, 0.9)), Vector((0, 0, 1.7))
    for name, head, tail, parent in [
        ("head", (0, 0, 1.7), (0, 0, 2.25), "spine"),
        ("arm.L", (-0.35, 0, 1.7), (-0.45, 0, 0.95), "spine"), ("arm.R", (0.35, 0, 1.7), (0.45, 0, 0.95), "spine"),
        ("leg.L", (-0.15, 0, 0.9), (-0.15, 0, 0.0), "spine"), ("leg.R", (0.15, 0, 0.9), (0.15, 0, 0.0), "spine"),
    ]:
        bone = bones.new(name)
        bone.head, bone.tail, bone.parent = Vector(head), Vector(tail), bones[parent]
    bpy.ops.object.mode_set(mode="OBJECT")
    bpy.ops.object.select_all(action="DESELECT")
    body.select_set(True)
    rig.select_set(True)
    bpy.context.view_layer.objects.active = rig
    bpy.ops.object.parent_set(type="ARMATURE_AUTO")
    for frame, angle in [(1, 0.0), (10, 0.6), (20, 0.0)]:
        for side, sign in (("L", 1), ("R", -1)):
            for bone_name, factor in (("arm." + side, sign), ("leg." + side, -sign)):
                pose_bone = rig.pose.bones[bone_name]
                pose_bone.rotation_mode = "XYZ"
                pose_bone.rotation_euler = (angle * factor, 0, 0)
                pose_bone.keyframe_insert("rotation_euler", frame=frame)
    bpy.context.scene.frame_end = 20
    export("rigged_character", ["glb"])


def blender_measure(path):
    """Imports one fixture into an empty scene with default options and reports Blender's own numbers."""
    import bpy
    try:
        import numpy
        if not hasattr(numpy, "bool"):
            numpy.bool = bool  # Blender 3.4's glTF importer still uses this alias, gone since numpy 1.24
    except ImportError:
        pass  # only the glTF importer needs numpy; the OBJ edge cases can be measured without it
    bpy.ops.wm.read_factory_settings(use_empty=True)
    extracted = None
    if path.endswith(".zip"):
        extracted = tempfile.mkdtemp()
        with zipfile.ZipFile(path) as archive:
            archive.extractall(extracted)
        scenes = [os.path.join(d, f) for d, _, files in os.walk(extracted) for f in files
                  if f.lower().endswith((".gltf", ".obj"))]
        path = scenes[0]
    if path.lower().endswith((".glb", ".gltf")):
        bpy.ops.import_scene.gltf(filepath=path)
    else:
        bpy.ops.wm.obj_import(filepath=path)
    view_layer = bpy.context.view_layer
    view_layer.update()
    stats = bpy.context.scene.statistics(view_layer)
    numbers = {}
    for part in stats.split("|"):
        if ":" in part:
            key, value = part.strip().split(":", 1)
            numbers[key] = value.strip()

    def count(key):
        return int(numbers[key].split("/")[-1].replace(",", ""))

    meshes = [o for o in bpy.data.objects if o.type == "MESH"]
    tracks = set()
    for o in bpy.data.objects:
        if o.animation_data:
            tracks.update(t.name for t in o.animation_data.nla_tracks)
    # Blender turns Y-up files Z-up (x, y, z) -> (x, -z, y); the box is reported back in the file's own axes.
    depsgraph = bpy.context.evaluated_depsgraph_get()
    low, high = [float("inf")] * 3, [float("-inf")] * 3
    for o in meshes:
        evaluated = o.evaluated_get(depsgraph)
        for vertex in evaluated.data.vertices:
            world = evaluated.matrix_world @ vertex.co
            point = (world.x, world.z, -world.y)
            low = [min(a, b) for a, b in zip(low, point)]
            high = [max(a, b) for a, b in zip(high, point)]
    result = {
        "vertexCount": count("Verts"), "polygonCount": count("Faces"), "triangleCount": count("Tris"),
        "meshCount": len(meshes), "materialCount": len(bpy.data.materials), "textureCount": len(bpy.data.images),
        "animationCount": len(tracks), "isRigged": any(o.type == "ARMATURE" for o in bpy.data.objects),
        "blenderStatistics": stats,
    }
    if meshes and low[0] != float("inf"):
        result["boundingBox"] = {"min": [round(v, 5) for v in low], "max": [round(v, 5) for v in high]}
    if extracted:
        shutil.rmtree(extracted)
    print("FIXTURE-RESULT " + json.dumps(result))


# ---------------------------------------------------------------------------------------------------------------
# OBJ edge cases: faces Blender 3.4's importer rebuilds or drops (run alone with `obj-edge-cases`)
# ---------------------------------------------------------------------------------------------------------------

# A unit square (1-4), a second square beside it (5-6 with 2-3), a point inside (7), one far away (8) and a square
# below-left sharing vertex 1 (9-11).
EDGE_VERTICES = """v 0 0 0
v 1 0 0
v 1 1 0
v 0 1 0
v 2 0 0
v 2 1 0
v 0.5 0.5 0
v 3 3 0
v -1 0 0
v -1 -1 0
v 0 -1 0
"""

EDGE_CASE_OBJS = {
    # One quad gone round two and three times.
    "edge-repeat-quad.obj": "f 1 2 3 4 1 2 3 4\nf 2 5 6 3 2 5 6 3 2 5 6 3\n",
    # One repeated-vertex face per object, so Blender's clean-up rebuilds every one of them.
    "edge-repeat-per-object.obj": "o A\nf 2 5 6 3 2 5 6 3 2 5 6 3\no B\nf 1 2 2 3 1\no C\nf 1 2 3 1 10 11\n"
                                  "o D\nf 1 2 3 4 1 4 3 2\no E\nf 1 2 3 4 1 9 10 11 1 4 3 2\no F\nf 1 2 3 2\n"
                                  "o G\nf 5 6 3 3 6 5\no H\nf 8 7 8\n",
    # Repeats next to each other and a closing corner equal to the first vanish.
    "edge-repeat-adjacent.obj": "f 1 2 2 3\nf 2 5 6 2\n",
    # Two loops meeting at one vertex, and a loop then its reverse.
    "edge-repeat-figure-eight.obj": "f 1 2 3 4 1 9 10 11\no Reverse\nf 2 5 6 3 2 3 6 5\n",
    # No area: a spur, a path walked back, collinear corners, two distinct corners, a square seen edge-on.
    "edge-repeat-no-area.obj": "f 1 2 3 2\nf 5 6 3 3 6 5\nf 9 1 2 9 1 2\nf 8 7 8\n"
                               "v 0 5 0\nv 1 5 0\nv 1 5 1\nv 0 5 1\nf 12 13 14 15 12 15 14 13\n",
    "edge-short-faces.obj": "f 1 2 3\nf 5 6\nf 8\n",
    # Duplicates stay while no face is dropped...
    "edge-duplicates-kept.obj": "f 1 2 3\nf 1 2 3\nf 3 2 1\nf 1 2 3 4\nf 1 2 3 4 1 2 3 4\n",
    # ...but a dropped face makes Blender validate the mesh, which keeps one face per vertex set.
    "edge-duplicates-validated.obj": "f 1 2 3 4\nf 2 1 4 3\nf 1 2 3 4 1 2 3 4\nf 1 2 99\n"
                                     "o Other\nf 5 6 3\nf 5 6 3\n",
    # Faces dropped at their first bad corner; the corners read before still bring their vertices.
    "edge-bad-vertex-indices.obj": "f 1 2 99\nf 99 5 6\nf 3 99 8\nf 0 4 3\nf -1 -2 -30\nf 1 a 2\n"
                                   "f 9 10 11 # comment\nf 2 5 6x\nf 1 2 20\nv 5 5 5\nf -1 -2 -3\n",
    "edge-bad-uv-normal.obj": "vt 0 0\nvn 0 0 1\nf 1/1 2/1 3/1\nf 5/1 6/2 3/1\nf 9//1 10//2 11//1\nf 4/-1/-1 1/-1/-1 7/-1/-1\n"
                              "f 8/-2 2/1 3/1\n",
    "edge-normals-absent.obj": "f 1//7 2//7 3//7\nf 4/1 1 3\n",
    # What other exporters write: groups sharing vertices (one object), smoothing groups, `vp`, relative indices
    # with texture coordinates and normals, normals defined after the faces that use them, a polyline.
    "edge-exporter-style.obj": "vt 0 0\nvt 1 0\nvt 1 1\nvn 0 0 1\ng left\ns 1\nf 1/1/1 2/2/1 3/3/1 4/1/1\n"
                               "g right\ns off\nf -10/-3/-1 -7/-2/-1 -6/-1/-1 -9/-3/-1\nvp 0.5 0.5\n"
                               "g below\nf 9//2 10//2 11//2\nvn 0 0 -1\nl 7 8 1\n",
    # `o` splits only after a kept face or a line: A (a dropped face) becomes B.
    "edge-object-split.obj": "o A\nf 1 99\no B\nf 1 2 3\no C\nf 5 6\no D\nf 5 6 3\no E\nl 9 10 11\n",
}


def write_obj_edge_cases(directory):
    for name, faces in EDGE_CASE_OBJS.items():
        write(os.path.join(directory, name), (EDGE_VERTICES + faces).encode())


def obj_edge_cases_only():
    """Rewrites and re-measures only the OBJ edge cases, keeping the other entries of expected.json."""
    directory = os.path.join(FIXTURES, "obj")
    write_obj_edge_cases(directory)
    path = os.path.join(FIXTURES, "expected.json")
    with open(path) as f:
        expected = json.load(f)
    for name in sorted(EDGE_CASE_OBJS):
        results = run_blender("measure", os.path.join(directory, name))
        expected["obj/" + name] = json.loads(results[-1][len("FIXTURE-RESULT "):])
        print("obj/" + name, expected["obj/" + name]["blenderStatistics"])
    with open(path, "w") as f:
        json.dump(expected, f, indent=2, sort_keys=True)
        f.write("\n")


# ---------------------------------------------------------------------------------------------------------------
# Driver (plain Python)
# ---------------------------------------------------------------------------------------------------------------

def run_blender(*arguments):
    command = ["blender", "-b", "--factory-startup", "--python-exit-code", "1", "--python", os.path.abspath(__file__),
               "--"] + list(arguments)
    # Blender embeds the system Python; a pyenv or virtualenv python3 first on PATH would hide the system numpy.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYENV", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".pyenv" not in p and "venv" not in p)
    run = subprocess.run(command, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        sys.exit("Blender failed (%s):\n%s%s" % (" ".join(arguments), run.stdout[-3000:], run.stderr[-3000:]))
    output = run.stdout
    return [line for line in output.splitlines() if line.startswith("FIXTURE-RESULT ")]


def main():
    for sub in ("gltf", "obj", "bundles", "misc"):
        shutil.rmtree(os.path.join(FIXTURES, sub), ignore_errors=True)
        os.makedirs(os.path.join(FIXTURES, sub))
    work = tempfile.mkdtemp()
    try:
        run_blender("build", FIXTURES, work)
        write(os.path.join(FIXTURES, "gltf", "handmade.glb"), handmade_glb())
        write(os.path.join(FIXTURES, "gltf", "strips_embedded.gltf"), strips_gltf())
        write(os.path.join(FIXTURES, "gltf", "shared_quad.gltf"), shared_quad_gltf())
        write(os.path.join(FIXTURES, "gltf", "shared_quad_skinned.gltf"), shared_quad_gltf(skinned=True))
        write(os.path.join(FIXTURES, "gltf", "shared_quad_morph.gltf"), shared_quad_gltf(morph=True))
        write(os.path.join(FIXTURES, "obj", "handmade.obj"), HANDMADE_OBJ)
        write_obj_edge_cases(os.path.join(FIXTURES, "obj"))
        handmade_bundle = os.path.join(work, "handmade_obj")
        os.makedirs(handmade_bundle)
        write(os.path.join(handmade_bundle, "handmade.obj"), HANDMADE_OBJ)
        write(os.path.join(handmade_bundle, "handmade.mtl"), HANDMADE_MTL)
        write(os.path.join(handmade_bundle, "checker.png"), checker_png())
        zip_dir(os.path.join(work, "textured_gltf"), os.path.join(FIXTURES, "bundles", "textured_gltf.zip"), "scene/")
        zip_dir(os.path.join(work, "textured_obj"), os.path.join(FIXTURES, "bundles", "textured_obj.zip"), "")
        zip_dir(handmade_bundle, os.path.join(FIXTURES, "bundles", "handmade_obj.zip"), "model/")
        write(os.path.join(FIXTURES, "misc", "checker.png"), checker_png())
        for stray in os.listdir(os.path.join(FIXTURES, "obj")):
            if stray.endswith(".mtl"):
                os.remove(os.path.join(FIXTURES, "obj", stray))

        expected = {}
        for sub in ("gltf", "obj", "bundles"):
            for name in sorted(os.listdir(os.path.join(FIXTURES, sub))):
                if name.endswith(".png"):
                    continue
                results = run_blender("measure", os.path.join(FIXTURES, sub, name))
                expected[sub + "/" + name] = json.loads(results[-1][len("FIXTURE-RESULT "):])
                print(sub + "/" + name, expected[sub + "/" + name]["blenderStatistics"])
        with open(os.path.join(FIXTURES, "expected.json"), "w") as f:
            json.dump(expected, f, indent=2, sort_keys=True)
            f.write("\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if "--" in sys.argv:
        arguments = sys.argv[sys.argv.index("--") + 1:]
        if arguments[0] == "build":
            blender_build(arguments[1], arguments[2])
        else:
            blender_measure(arguments[1])
    elif sys.argv[1:] == ["obj-edge-cases"]:
        obj_edge_cases_only()
    else:
        main()
