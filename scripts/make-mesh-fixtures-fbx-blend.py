#!/usr/bin/env python3
"""Regenerates the FBX and BLEND fixtures of Tests/MeshInspectorTests and the numbers Blender reports for them.

Run with plain Python 3 from the repository root (Blender 3.4+ must be on PATH):

    python3 scripts/make-mesh-fixtures-fbx-blend.py
    python3 scripts/make-mesh-fixtures-fbx-blend.py edge-cases   # only the edge-case FBX fixtures

It drives Blender in three kinds of headless runs: one builds every scene and saves/exports it, then every fixture is
measured in a fresh Blender (a .blend is opened, an FBX is imported into an empty file, saved and reopened) so the
numbers come from Blender's own scene statistics, not from this script. Blender cannot write ASCII FBX or FBX 7500,
so those fixtures are produced here in Python: one ASCII cube written by hand, and conversions of Blender's binary
exports; they carry the numbers of the binary file they were converted from.
"""

import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

try:
    import bpy  # noqa: F401  (present only when Blender runs this file)
    IN_BLENDER = True
except ImportError:
    IN_BLENDER = False

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "MeshInspectorTests", "Fixtures")


# ---------------------------------------------------------------------------------------------------------------
# Inside Blender: building scenes
# ---------------------------------------------------------------------------------------------------------------

def _empty_scene():
    import bpy
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return bpy.context.scene


def _strip_for_size():
    """Drops the UI datablocks a factory file carries so a full save stays small."""
    import bpy
    keep = bpy.context.workspace
    bpy.data.batch_remove([w for w in bpy.data.workspaces if w != keep])
    bpy.data.batch_remove(list(bpy.data.brushes))
    bpy.ops.outliner.orphans_purge(do_recursive=True)


def _mesh_object(name, build, location=(0, 0, 0), collection=None, data=None):
    import bpy
    import bmesh
    if data is None:
        data = bpy.data.meshes.new(name)
        bm = bmesh.new()
        build(bm)
        bm.to_mesh(data)
        bm.free()
    ob = bpy.data.objects.new(name, data)
    ob.location = location
    (collection or bpy.context.scene.collection).objects.link(ob)
    return ob


def _cube(bm, size=2.0):
    import bmesh
    bmesh.ops.create_cube(bm, size=size)


def _monkey(bm):
    import bmesh
    bmesh.ops.create_monkey(bm)


def _ngon_mesh(bm):
    """Quads, a triangle, a hexagon, a loose edge and a loose vertex: the cases importers disagree on."""
    import bmesh  # noqa: F401
    grid = [bm.verts.new((x, y, 0)) for y in range(3) for x in range(3)]
    for y in range(2):
        for x in range(2):
            a = y * 3 + x
            bm.faces.new((grid[a], grid[a + 1], grid[a + 4], grid[a + 3]))
    tri = [bm.verts.new(p) for p in ((3, 0, 0), (4, 0, 0), (3.5, 1, 0))]
    bm.faces.new(tri)
    import math
    hexagon = [bm.verts.new((6 + math.cos(i * math.pi / 3), math.sin(i * math.pi / 3), 0.5)) for i in range(6)]
    bm.faces.new(hexagon)
    e1, e2 = bm.verts.new((0, 5, 0)), bm.verts.new((1, 5, 1))
    bm.edges.new((e1, e2))
    bm.verts.new((-2, -2, -2))


def _material(name, color, image=None):
    import bpy
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    bsdf = mat.node_tree.nodes.get("Principled BSDF")
    bsdf.inputs["Base Color"].default_value = color
    if image is not None:
        tex = mat.node_tree.nodes.new("ShaderNodeTexImage")
        tex.image = image
        mat.node_tree.links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
    return mat


def _checker_image(directory):
    import bpy
    img = bpy.data.images.new("checker", 4, 4)
    img.pixels = [((i // 4 + i % 4) % 2) * 1.0 for i in range(16) for _ in range(4)]
    img.filepath_raw = os.path.join(directory, "checker.png")
    img.file_format = "PNG"
    img.save()
    return img


def _rig(scene, with_material_image=None):
    """An armature with two bones, a cylinder skinned to it (modifier + parent) and one action."""
    import bpy
    import bmesh
    arm = bpy.data.armatures.new("Rig")
    rig = bpy.data.objects.new("Rig", arm)
    scene.collection.objects.link(rig)
    bpy.context.view_layer.objects.active = rig
    bpy.ops.object.mode_set(mode="EDIT")
    root = arm.edit_bones.new("Root")
    root.head, root.tail = (0, 0, 0), (0, 0, 1)
    tip = arm.edit_bones.new("Tip")
    tip.head, tip.tail = (0, 0, 1), (0, 0, 2)
    tip.parent = root
    bpy.ops.object.mode_set(mode="OBJECT")

    def build(bm):
        bmesh.ops.create_cone(bm, cap_ends=True, segments=8, radius1=0.4, radius2=0.4, depth=2.0)
        bmesh.ops.translate(bm, vec=(0, 0, 1), verts=bm.verts)
        bmesh.ops.subdivide_edges(bm, edges=[e for e in bm.edges if abs(e.verts[0].co.z - e.verts[1].co.z) > 1.5],
                                  cuts=3, use_grid_fill=True)
    body = _mesh_object("Body", build)
    root_group = body.vertex_groups.new(name="Root")
    tip_group = body.vertex_groups.new(name="Tip")
    for v in body.data.vertices:
        w = min(max(v.co.z / 2.0, 0.0), 1.0)
        root_group.add([v.index], 1.0 - w, "REPLACE")
        tip_group.add([v.index], w, "REPLACE")
    body.parent = rig
    modifier = body.modifiers.new("Armature", "ARMATURE")
    modifier.object = rig
    if with_material_image is not None:
        body.data.materials.append(_material("Skin", (0.8, 0.6, 0.5, 1), with_material_image))

    pose_tip = rig.pose.bones["Tip"]
    pose_tip.rotation_mode = "XYZ"
    for frame, angle in ((1, 0.0), (12, 0.6), (24, 0.0)):
        pose_tip.rotation_euler = (angle, 0, 0)
        pose_tip.keyframe_insert("rotation_euler", frame=frame)
    rig.animation_data.action.name = "Wave"
    scene.frame_end = 24
    return rig, body


def build_all(out):
    import bpy
    fbx_dir = os.path.join(out, "fbx")
    blend_dir = os.path.join(out, "blend")
    os.makedirs(fbx_dir, exist_ok=True)
    os.makedirs(blend_dir, exist_ok=True)

    def export(name, **options):
        bpy.ops.export_scene.fbx(filepath=os.path.join(fbx_dir, name), **options)

    def save(name, compress):
        _strip_for_size()
        bpy.ops.wm.save_as_mainfile(filepath=os.path.join(blend_dir, name), compress=compress, copy=True)

    # The factory scene as a user gets it: cube, camera and light (only the cube is a mesh).
    bpy.ops.wm.read_factory_settings(use_empty=False)
    export("cube.fbx")
    save("cube.blend", compress=False)
    save("cube-zstd.blend", compress=True)

    scene = _empty_scene()
    _mesh_object("Suzanne", _monkey)
    export("suzanne.fbx")

    # Quads, a triangle, an n-gon, a loose edge (exported as a two-corner "polygon") and a loose vertex.
    scene = _empty_scene()
    ngon = _mesh_object("Ngons", _ngon_mesh, location=(1, 2, 3))
    ngon.rotation_euler = (0.3, 0.0, 0.7)
    ngon.scale = (2.0, 1.0, 1.0)
    export("ngon.fbx", use_mesh_edges=True)

    scene = _empty_scene()
    image = _checker_image(fbx_dir)
    _rig(scene, with_material_image=image)
    export("rigged.fbx")

    # Three materials on one cube, one with an image texture; a second object shares the same mesh.
    scene = _empty_scene()
    image = bpy.data.images.get("checker") or _checker_image(fbx_dir)
    cube = _mesh_object("Multi", _cube)
    for i, (name, color) in enumerate((("Red", (1, 0, 0, 1)), ("Green", (0, 1, 0, 1)), ("Blue", (0, 0, 1, 1)))):
        cube.data.materials.append(_material(name, color, image if i == 2 else None))
    for poly in cube.data.polygons:
        poly.material_index = poly.index % 3
    _mesh_object("MultiInstance", None, location=(4, 0, 0), data=cube.data)
    export("multimaterial.fbx")

    # BLEND: three linked duplicates of one mesh, plus objects Blender's statistics leave out.
    scene = _empty_scene()
    shared = _mesh_object("Shared", _monkey)
    _mesh_object("SharedCopy1", None, location=(3, 0, 0), data=shared.data)
    copy2 = _mesh_object("SharedCopy2", None, location=(-3, 0, 1), data=shared.data)
    copy2.rotation_euler = (0, 0, 1.2)
    hidden = _mesh_object("HiddenCube", _cube, location=(0, 6, 0))
    hidden.hide_set(True)
    excluded = bpy.data.collections.new("Excluded")
    scene.collection.children.link(excluded)
    _mesh_object("ExcludedCube", _cube, location=(0, -6, 0), collection=excluded)
    bpy.context.view_layer.layer_collection.children["Excluded"].exclude = True
    nested = bpy.data.collections.new("Nested")
    scene.collection.children.link(nested)
    _mesh_object("NestedCube", lambda bm: _cube(bm, 1.0), location=(0, 0, 5), collection=nested)
    save("instanced-zstd.blend", compress=True)

    # BLEND: an asset-kit layout: the kit's collection is excluded from the view layer and shown only through
    # three collection instances (one of them nested in another collection instance).
    scene = _empty_scene()
    kit = bpy.data.collections.new("Kit")
    scene.collection.children.link(kit)
    _mesh_object("KitCube", _cube, collection=kit)
    _mesh_object("KitMonkey", _monkey, location=(0, 0, 3), collection=kit)
    kit.instance_offset = (0, 0, -1)
    for i in range(2):
        empty = bpy.data.objects.new("KitInstance%d" % i, None)
        empty.instance_type = "COLLECTION"
        empty.instance_collection = kit
        empty.location = (6 * (i + 1), 0, 0)
        empty.rotation_euler = (0, 0, 0.5 * i)
        scene.collection.objects.link(empty)
    shelf = bpy.data.collections.new("Shelf")
    scene.collection.children.link(shelf)
    nested = bpy.data.objects.new("NestedKit", None)
    nested.instance_type = "COLLECTION"
    nested.instance_collection = kit
    nested.location = (0, 5, 0)
    shelf.objects.link(nested)
    bpy.context.view_layer.layer_collection.children["Shelf"].exclude = True
    shelf_instance = bpy.data.objects.new("ShelfInstance", None)
    shelf_instance.instance_type = "COLLECTION"
    shelf_instance.instance_collection = shelf
    shelf_instance.location = (0, 0, 10)
    scene.collection.objects.link(shelf_instance)
    bpy.context.view_layer.layer_collection.children["Kit"].exclude = True
    save("collection-instances-zstd.blend", compress=True)

    # BLEND: a cube in the scene, an orphan mesh kept by a fake user, an object in no scene.
    scene = _empty_scene()
    _mesh_object("Cube", _cube)
    orphan = bpy.data.meshes.new("OrphanMonkey")
    import bmesh
    bm = bmesh.new()
    _monkey(bm)
    bm.to_mesh(orphan)
    bm.free()
    orphan.use_fake_user = True
    loose = bpy.data.objects.new("NotInScene", bpy.data.meshes.new("NotInSceneMesh"))
    loose.use_fake_user = True
    save("orphan-zstd.blend", compress=True)

    # BLEND: the rig (armature, skinned mesh, action) with a textured material, in centimetres.
    scene = _empty_scene()
    image = bpy.data.images.get("checker") or _checker_image(blend_dir)
    _rig(scene, with_material_image=image)
    scene.unit_settings.system = "METRIC"
    scene.unit_settings.scale_length = 0.01
    save("rigged-zstd.blend", compress=True)

    # BLEND: n-gons on a parented, rotated, scaled child, to exercise transforms and triangulation.
    scene = _empty_scene()
    parent = _mesh_object("Parent", lambda bm: _cube(bm, 1.0), location=(0, 0, 2))
    parent.rotation_euler = (0, 0, 0.785398)
    parent.scale = (1.5, 1.5, 1.5)
    child = _mesh_object("NgonChild", _ngon_mesh, location=(2, 0, 0))
    child.parent = parent
    child.rotation_mode = "QUATERNION"
    child.rotation_quaternion = (0.9238795, 0.3826834, 0, 0)
    save("ngon-uncompressed.blend", compress=False)


# ---------------------------------------------------------------------------------------------------------------
# Inside Blender: measuring what Blender itself reports
# ---------------------------------------------------------------------------------------------------------------

def _statistics():
    """Blender's own status-bar statistics for the current scene and view layer."""
    import bpy
    text = bpy.context.scene.statistics(bpy.context.view_layer)
    values = {}
    for part in text.split("|"):
        part = part.strip()
        if ":" in part:
            key, value = part.split(":", 1)
            values[key.strip()] = value.strip()
    number = lambda key: int(values.get(key, "0").split("/")[-1].replace(",", ""))
    return {"vertices": number("Verts"), "polygons": number("Faces"), "triangles": number("Tris"), "text": text}


def measure_current(format_version):
    import bpy
    from mathutils import Vector
    view_layer = bpy.context.view_layer
    depsgraph = bpy.context.evaluated_depsgraph_get()
    # Everything the viewport shows, collection-instance copies included; vertices of the base (unmodified) mesh,
    # as the readers cannot evaluate modifiers.
    placed = []
    for instance in depsgraph.object_instances:
        ob = instance.object.original
        if ob.type != "MESH" or (not instance.is_instance and not ob.visible_get()):
            continue
        placed.append((ob, instance.matrix_world.copy()))
    mesh_objects = list({ob.name: ob for ob, _ in placed}.values())
    scale = bpy.context.scene.unit_settings.scale_length or 1.0
    lo, hi = [float("inf")] * 3, [float("-inf")] * 3
    for ob, matrix in placed:
        for v in ob.data.vertices:
            w = matrix @ Vector(v.co)
            for i in range(3):
                lo[i] = min(lo[i], w[i] * scale)
                hi[i] = max(hi[i], w[i] * scale)
    rigged = any(
        any(m.type == "ARMATURE" for m in ob.modifiers) or (ob.parent is not None and ob.parent.type == "ARMATURE")
        for ob in mesh_objects)
    stats = _statistics()
    return {
        "formatVersion": format_version,
        "vertexCount": stats["vertices"],
        "polygonCount": stats["polygons"],
        "triangleCount": stats["triangles"],
        # One per evaluated mesh, as the statistics count them: objects without active modifiers share their
        # mesh's; an object with modifiers has its own.
        "meshCount": len({("object", ob.name) if any(m.show_viewport for m in ob.modifiers) else ("mesh", ob.data.name)
                          for ob in mesh_objects}),
        "meshObjectCount": len(mesh_objects),
        "materialCount": len(bpy.data.materials),
        "textureCount": len([i for i in bpy.data.images if i.source != "VIEWER"]),
        "animationCount": len(bpy.data.actions),
        "isRigged": rigged,
        "boundingBox": {"min": [round(x, 5) for x in lo], "max": [round(x, 5) for x in hi]} if mesh_objects else None,
        "blenderStatistics": stats["text"],
        "blenderVersion": bpy.app.version_string,
    }


def measure_blend(path, result_path):
    import bpy
    major, minor, _ = bpy.data.version
    result = measure_current("%d.%d" % (major, minor))
    with open(result_path, "w") as fh:
        json.dump(result, fh)


def import_fbx_and_save(path, saved):
    """Imports into an empty file and saves, so a fresh Blender can report clean statistics for it."""
    import bpy
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.fbx(filepath=path)
    bpy.ops.wm.save_as_mainfile(filepath=saved)


def measure_imported_fbx(path, result_path, fbx_version):
    import bpy
    result = measure_current(str(fbx_version))
    result["animationStackCount"] = fbx_animation_stack_count(path)
    # Blender creates one action per animated object and stack; the reader reports AnimationStacks.
    result["blenderActionCount"] = result["animationCount"]
    result["animationCount"] = result["animationStackCount"]
    with open(result_path, "w") as fh:
        json.dump(result, fh)


# ---------------------------------------------------------------------------------------------------------------
# Plain Python: FBX binary parsing and rewriting (ASCII, 7500)
# ---------------------------------------------------------------------------------------------------------------

MAGIC = b"Kaydara FBX Binary  \x00\x1a\x00"


class Node:
    def __init__(self, name, props, children):
        self.name, self.props, self.children = name, props, children


def parse_fbx_binary(data):
    version = struct.unpack_from("<I", data, 23)[0]
    wide = version >= 7500
    header = struct.Struct("<QQQB" if wide else "<IIIB")

    def read_props(offset, count):
        props = []
        for _ in range(count):
            kind = chr(data[offset])
            offset += 1
            scalar = {"Y": "<h", "C": "<?", "I": "<i", "F": "<f", "D": "<d", "L": "<q"}
            if kind in scalar:
                value = struct.unpack_from(scalar[kind], data, offset)[0]
                offset += struct.calcsize(scalar[kind])
            elif kind in "fdlib":
                length, encoding, compressed = struct.unpack_from("<III", data, offset)
                offset += 12
                raw = data[offset:offset + compressed]
                offset += compressed
                if encoding == 1:
                    raw = zlib.decompress(raw)
                code = {"f": "f", "d": "d", "l": "q", "i": "i", "b": "?"}[kind]
                value = list(struct.unpack("<%d%s" % (length, code), raw))
            elif kind in "SR":
                length = struct.unpack_from("<I", data, offset)[0]
                offset += 4
                value = bytes(data[offset:offset + length])
                offset += length
            else:
                raise ValueError("unknown property type %r" % kind)
            props.append((kind, value))
        return props

    def read_node(offset):
        end, count, _, name_len = header.unpack_from(data, offset)
        if end == 0:
            return None, offset + header.size
        offset += header.size
        name = data[offset:offset + name_len].decode()
        offset += name_len
        props = read_props(offset, count)
        # Re-walk to find where the property list ends.
        offset = _props_end(offset, count)
        children = []
        while offset < end:
            child, offset = read_node(offset)
            if child is None:
                break
            children.append(child)
        return Node(name, props, children), end

    def _props_end(offset, count):
        for _ in range(count):
            kind = chr(data[offset])
            offset += 1
            sizes = {"Y": 2, "C": 1, "I": 4, "F": 4, "D": 8, "L": 8}
            if kind in sizes:
                offset += sizes[kind]
            elif kind in "fdlib":
                offset += 12 + struct.unpack_from("<I", data, offset + 8)[0]
            else:
                offset += 4 + struct.unpack_from("<I", data, offset)[0]
        return offset

    nodes, offset = [], 27
    while offset + header.size <= len(data):
        node, offset = read_node(offset)
        if node is None:
            break
        nodes.append(node)
    return version, nodes


def write_fbx_binary(nodes, version):
    """Serialises a node tree as binary FBX; used to turn Blender's 7400 exports into 7500 (64-bit offsets)."""
    wide = version >= 7500
    header = struct.Struct("<QQQB" if wide else "<IIIB")
    null = b"\x00" * header.size

    def props_bytes(props):
        out = bytearray()
        for kind, value in props:
            out += kind.encode()
            if kind in "YCIFDL":
                out += struct.pack({"Y": "<h", "C": "<?", "I": "<i", "F": "<f", "D": "<d", "L": "<q"}[kind], value)
            elif kind in "fdlib":
                code = {"f": "f", "d": "d", "l": "q", "i": "i", "b": "?"}[kind]
                raw = struct.pack("<%d%s" % (len(value), code), *value)
                encoding = 0
                if len(raw) > 128:
                    raw, encoding = zlib.compress(raw, 6), 1
                out += struct.pack("<III", len(value), encoding, len(raw)) + raw
            else:
                out += struct.pack("<I", len(value)) + value
        return bytes(out)

    def node_bytes(node, start):
        name = node.name.encode()
        props = props_bytes(node.props)
        body_start = start + header.size + len(name) + len(props)
        children = bytearray()
        for child in node.children:
            children += node_bytes(child, body_start + len(children))
        if node.children:
            children += null
        end = body_start + len(children)
        return header.pack(end, len(node.props), len(props), len(name)) + name + props + bytes(children)

    out = bytearray(MAGIC + struct.pack("<I", version))
    for node in nodes:
        out += node_bytes(node, len(out))
    out += null
    # The footer: Blender and the SDK ignore its contents, but real files carry it.
    out += b"\xfa\xbc\xab\x09\xd0\xc8\xd4\x66\xb1\x76\xfb\x83\x1c\xf7\x26\x7e" + b"\x00" * 4
    out += b"\x00" * ((16 - len(out) % 16) % 16) + struct.pack("<I", version) + b"\x00" * 120
    out += b"\xf8\x5a\x8c\x6a\xde\xf5\xd9\x7e\xec\xe9\x0c\xe3\x75\x8f\x29\x0b"
    return bytes(out)


def _ascii_value(kind, value):
    if kind == "S":
        text = value.decode("utf-8", "replace")
        if "\x00\x01" in text:
            name, cls = text.split("\x00\x01", 1)
            text = "%s::%s" % (cls, name)
        return '"%s"' % text.replace('"', "&quot;")
    if kind == "R":
        return '"%s"' % value.hex()
    if kind == "C":
        return "T" if value else "F"
    if kind in "FD":
        return repr(float(value))
    return str(value)


def write_fbx_ascii(nodes, version):
    lines = ["; FBX %d.%d.0 project file" % (version // 1000, version % 1000 // 100),
             "; Converted from binary by scripts/make-mesh-fixtures-fbx-blend.py", ""]

    def emit(node, depth):
        pad = "\t" * depth
        parts = []
        array_prop = None
        for kind, value in node.props:
            if kind in "fdlib":
                array_prop = (kind, value)
            else:
                parts.append(_ascii_value(kind, value))
        if array_prop is not None:
            kind, value = array_prop
            fmt = (lambda x: repr(float(x))) if kind in "fd" else (lambda x: str(int(x)))
            lines.append("%s%s: *%d {" % (pad, node.name, len(value)))
            lines.append("%s\ta: %s" % (pad, ",".join(fmt(x) for x in value)))
            lines.append("%s}" % pad)
            return
        head = "%s%s: %s" % (pad, node.name, ", ".join(parts))
        if node.children:
            lines.append(head.rstrip() + " {")
            for child in node.children:
                emit(child, depth + 1)
            lines.append("%s}" % pad)
        else:
            lines.append(head)

    for node in nodes:
        emit(node, 0)
        lines.append("")
    return ("\n".join(lines) + "\n").encode()


HAND_WRITTEN_ASCII_CUBE = """; FBX 7.4.0 project file
; A 2 m cube written by hand, the layout Autodesk's SDK uses for ASCII 7.x.
; ----------------------------------------------------

FBXHeaderExtension:  {
\tFBXHeaderVersion: 1003
\tFBXVersion: 7400
\tCreator: "HWC3D fixture script"
}
GlobalSettings:  {
\tVersion: 1000
\tProperties70:  {
\t\tP: "UpAxis", "int", "Integer", "",2
\t\tP: "UpAxisSign", "int", "Integer", "",1
\t\tP: "FrontAxis", "int", "Integer", "",1
\t\tP: "FrontAxisSign", "int", "Integer", "",-1
\t\tP: "CoordAxis", "int", "Integer", "",0
\t\tP: "CoordAxisSign", "int", "Integer", "",1
\t\tP: "UnitScaleFactor", "double", "Number", "",100
\t}
}

; Object definitions
;------------------------------------------------------------------

Definitions:  {
\tVersion: 100
\tCount: 3
\tObjectType: "Model" {
\t\tCount: 1
\t}
\tObjectType: "Geometry" {
\t\tCount: 1
\t}
\tObjectType: "Material" {
\t\tCount: 1
\t}
}

; Object properties
;------------------------------------------------------------------

Objects:  {
\tGeometry: 1001, "Geometry::Cube", "Mesh" {
\t\tVertices: *24 {
\t\t\ta: -1,-1,-1,1,-1,-1,1,1,-1,-1,1,-1,-1,-1,1,1,-1,1,1,1,1,-1,1,1
\t\t} 
\t\tPolygonVertexIndex: *24 {
\t\t\ta: 0,3,2,-2,4,5,6,-8,0,1,5,-5,1,2,6,-6,2,3,7,-7,3,0,4,-8
\t\t} 
\t\tGeometryVersion: 124
\t\tLayerElementMaterial: 0 {
\t\t\tVersion: 101
\t\t\tName: ""
\t\t\tMappingInformationType: "AllSame"
\t\t\tReferenceInformationType: "IndexToDirect"
\t\t\tMaterials: *1 {
\t\t\t\ta: 0
\t\t\t} 
\t\t}
\t}
\tModel: 2001, "Model::Cube", "Mesh" {
\t\tVersion: 232
\t\tProperties70:  {
\t\t\tP: "Lcl Translation", "Lcl Translation", "", "A",0,0,1
\t\t\tP: "Lcl Rotation", "Lcl Rotation", "", "A",0,0,0
\t\t\tP: "Lcl Scaling", "Lcl Scaling", "", "A",1,1,1
\t\t}
\t\tShading: T
\t\tCulling: "CullingOff"
\t}
\tMaterial: 3001, "Material::Plain", "" {
\t\tVersion: 102
\t\tShadingModel: "phong"
\t\tProperties70:  {
\t\t\tP: "DiffuseColor", "Color", "", "A",0.8,0.8,0.8
\t\t}
\t}
}

; Object connections
;------------------------------------------------------------------

Connections:  {
\t
\t;Model::Cube, Model::RootNode
\tC: "OO",2001,0
\t
\t;Geometry::Cube, Model::Cube
\tC: "OO",1001,2001
\t
\t;Material::Plain, Model::Cube
\tC: "OO",3001,2001
}
"""


def fbx_animation_stack_count(path):
    with open(path, "rb") as fh:
        data = fh.read()
    _, nodes = parse_fbx_binary(data)
    objects = next((n for n in nodes if n.name == "Objects"), None)
    return sum(1 for n in (objects.children if objects else []) if n.name == "AnimationStack")


# ---------------------------------------------------------------------------------------------------------------
# Edge cases: polygons mesh.validate() drops, instanced geometry (run alone with `edge-cases`)
# ---------------------------------------------------------------------------------------------------------------

# Polygons appended to cube.fbx's six quads, each one a case Blender's FBX import (mesh.validate()) drops: the
# same vertices as a quad in another order, a repeated vertex, two corners, one corner, a vertex out of range, and
# trailing corners no negative index closes. One valid triangle is kept to show the rest are dropped, not lost.
INVALID_POLYGONS_TAIL = [3, 0, 1, -3, 0, 1, 0, -3, 0, -2, -1, 0, 1, -10, 0, 1, -3, 0, 1, 2]


def build_edge_cases(out):
    """In Blender: three linked duplicates of one cube, exported to FBX (one Geometry, three Models)."""
    import bpy
    scene = _empty_scene()
    first = _mesh_object("Instanced", _cube)
    for index, x in enumerate((3.0, 6.0)):
        _mesh_object("Instanced.%d" % index, None, location=(x, 0, 0), data=first.data)
    os.makedirs(os.path.join(out, "fbx"), exist_ok=True)
    bpy.ops.export_scene.fbx(filepath=os.path.join(out, "fbx", "instanced.fbx"), use_selection=False)


def add_edge_cases(work, fbx_out, fbx_expected):
    """Writes the edge-case FBX fixtures and measures the binary ones in Blender; ASCII copies keep their numbers."""
    run_blender("build-edge", work)
    shutil.copy(os.path.join(work, "fbx", "instanced.fbx"), os.path.join(fbx_out, "instanced.fbx"))
    with open(os.path.join(fbx_out, "cube.fbx"), "rb") as fh:
        version, nodes = parse_fbx_binary(fh.read())
    geometry = next(n for n in next(n for n in nodes if n.name == "Objects").children if n.name == "Geometry")
    polygons = next(n for n in geometry.children if n.name == "PolygonVertexIndex")
    polygons.props[0] = ("i", list(polygons.props[0][1]) + INVALID_POLYGONS_TAIL)
    # The per-corner layers no longer match the corners; drop them rather than leave them inconsistent.
    geometry.children = [n for n in geometry.children if n.name not in ("Edges", "LayerElementNormal", "LayerElementUV", "Layer")]
    with open(os.path.join(fbx_out, "invalid-polygons.fbx"), "wb") as fh:
        fh.write(write_fbx_binary(nodes, version))
    for name in ("instanced.fbx", "invalid-polygons.fbx"):
        source = os.path.join(fbx_out, name)
        saved = os.path.join(work, name + ".blend")
        run_blender("import-fbx", source, saved)
        result_path = os.path.join(work, name + ".json")
        run_blender("measure-fbx", source, result_path, str(version), blend=saved)
        with open(result_path) as fh:
            fbx_expected[name] = json.load(fh)
    with open(os.path.join(fbx_out, "invalid-polygons-ascii.fbx"), "wb") as fh:
        fh.write(write_fbx_ascii(nodes, version))
    fbx_expected["invalid-polygons-ascii.fbx"] = dict(
        fbx_expected["invalid-polygons.fbx"], convertedFrom="invalid-polygons.fbx")


def edge_cases_only():
    """Regenerates only the edge-case fixtures, keeping every other entry of fbx/expected.json."""
    work = tempfile.mkdtemp(prefix="hwc3d-fixtures-")
    try:
        fbx_out = os.path.join(FIXTURES, "fbx")
        with open(os.path.join(fbx_out, "expected.json")) as fh:
            fbx_expected = json.load(fh)
        add_edge_cases(work, fbx_out, fbx_expected)
        with open(os.path.join(fbx_out, "expected.json"), "w") as fh:
            json.dump(fbx_expected, fh, indent=2, sort_keys=True)
            fh.write("\n")
        for name in ("instanced.fbx", "invalid-polygons.fbx"):
            print(name, fbx_expected[name]["blenderStatistics"])
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------------------------

def run_blender(*args, blend=None):
    command = ["blender", "-b"] + ([blend] if blend else ["--factory-startup"])
    command += ["--python", os.path.abspath(__file__), "--"] + list(args)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def main():
    work = tempfile.mkdtemp(prefix="hwc3d-fixtures-")
    try:
        run_blender("build", work)
        fbx_out = os.path.join(FIXTURES, "fbx")
        blend_out = os.path.join(FIXTURES, "blend")
        shutil.rmtree(fbx_out, ignore_errors=True)
        os.makedirs(fbx_out)
        # blend/modifiers belongs to scripts/make-mesh-fixtures-modifiers.py: only this script's files go.
        os.makedirs(blend_out, exist_ok=True)
        for name in os.listdir(blend_out):
            if os.path.isfile(os.path.join(blend_out, name)):
                os.remove(os.path.join(blend_out, name))

        fbx_expected = {}
        for name in sorted(os.listdir(os.path.join(work, "fbx"))):
            if not name.endswith(".fbx"):
                continue
            source = os.path.join(work, "fbx", name)
            shutil.copy(source, os.path.join(fbx_out, name))
            with open(source, "rb") as fh:
                version = struct.unpack_from("<I", fh.read(27), 23)[0]
            saved = os.path.join(work, name + ".blend")
            run_blender("import-fbx", source, saved)
            result_path = os.path.join(work, name + ".json")
            run_blender("measure-fbx", source, result_path, str(version), blend=saved)
            with open(result_path) as fh:
                fbx_expected[name] = json.load(fh)

        # Conversions Blender cannot write itself; they keep the numbers of their source.
        for source_name, target, kind in (("rigged.fbx", "rigged-ascii.fbx", "ascii"),
                                          ("suzanne.fbx", "suzanne-7500.fbx", "7500")):
            with open(os.path.join(fbx_out, source_name), "rb") as fh:
                version, nodes = parse_fbx_binary(fh.read())
            if kind == "ascii":
                payload = write_fbx_ascii(nodes, version)
                expected = dict(fbx_expected[source_name], formatVersion=str(version))
            else:
                payload = write_fbx_binary(nodes, 7500)
                expected = dict(fbx_expected[source_name], formatVersion="7500")
            with open(os.path.join(fbx_out, target), "wb") as fh:
                fh.write(payload)
            expected["convertedFrom"] = source_name
            fbx_expected[target] = expected
        with open(os.path.join(fbx_out, "cube-ascii.fbx"), "w") as fh:
            fh.write(HAND_WRITTEN_ASCII_CUBE)
        fbx_expected["cube-ascii.fbx"] = {
            "formatVersion": "7400", "vertexCount": 8, "polygonCount": 6, "triangleCount": 12, "meshCount": 1,
            "meshObjectCount": 1, "materialCount": 1, "textureCount": 0, "animationCount": 0, "isRigged": False,
            "boundingBox": {"min": [-1, -1, 0], "max": [1, 1, 2]},
            "note": "written by hand; Blender cannot import ASCII FBX, numbers follow from the geometry",
        }
        add_edge_cases(work, fbx_out, fbx_expected)
        if os.path.exists(os.path.join(work, "fbx", "checker.png")):
            shutil.copy(os.path.join(work, "fbx", "checker.png"), os.path.join(fbx_out, "checker.png"))

        blend_expected = {}
        for name in sorted(os.listdir(os.path.join(work, "blend"))):
            if not name.endswith(".blend"):
                continue
            source = os.path.join(work, "blend", name)
            shutil.copy(source, os.path.join(blend_out, name))
            result_path = os.path.join(work, name + ".json")
            run_blender("measure-blend", source, result_path, blend=source)
            with open(result_path) as fh:
                blend_expected[name] = json.load(fh)
        # gzip: what Blender 2.8-2.9x wrote for "Compress"; Blender still opens it (checked by measuring it).
        plain = os.path.join(blend_out, "cube.blend")
        gz_path = os.path.join(blend_out, "cube-gzip.blend")
        with open(plain, "rb") as src, gzip.open(gz_path, "wb", compresslevel=9) as dst:
            dst.write(src.read())
        result_path = os.path.join(work, "cube-gzip.json")
        run_blender("measure-blend", gz_path, result_path, blend=gz_path)
        with open(result_path) as fh:
            blend_expected["cube-gzip.blend"] = json.load(fh)
        os.remove(plain)  # the stripped uncompressed copy of the factory scene is ngon-uncompressed.blend's job
        del blend_expected["cube.blend"]

        for directory, expected in ((fbx_out, fbx_expected), (blend_out, blend_expected)):
            with open(os.path.join(directory, "expected.json"), "w") as fh:
                json.dump(expected, fh, indent=2, sort_keys=True)
                fh.write("\n")
        print(json.dumps({"fbx": fbx_expected, "blend": blend_expected}, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if IN_BLENDER:
    argv = sys.argv[sys.argv.index("--") + 1:]
    command = argv[0]
    if command == "build":
        build_all(argv[1])
    elif command == "build-edge":
        build_edge_cases(argv[1])
    elif command == "import-fbx":
        import_fbx_and_save(argv[1], argv[2])
    elif command == "measure-fbx":
        measure_imported_fbx(argv[1], argv[2], argv[3])
    elif command == "measure-blend":
        measure_blend(argv[1], argv[2])
elif __name__ == "__main__":
    if sys.argv[1:] == ["edge-cases"]:
        edge_cases_only()
    else:
        main()
