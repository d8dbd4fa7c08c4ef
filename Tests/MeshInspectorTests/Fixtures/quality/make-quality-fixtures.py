#!/usr/bin/env python3
"""Regenerates the quality-check fixtures in this folder and what Blender finds in them (expected.json).

Run with plain Python 3 from the repository root (Blender 3.4+ on PATH):

    python3 Tests/MeshInspectorTests/Fixtures/quality/make-quality-fixtures.py

One Blender run builds each case (a closed cube, a cube with a hole, two cubes sharing an edge that also carries a
fin, a flipped face, loose vertices and an edge, a degenerate face, no UVs, UVs outside 0-1, overlapping UVs, UDIM
tiles, a capped cylinder with n-gons) and writes it as .glb, .obj, .fbx and .blend. Then every file is measured in a
fresh Blender: imported (or opened), each mesh's vertices merged by position (`remove_doubles` within 1e-6, standing in for
the checks' weld by exact position), and counted both with bmesh (edge face counts, `is_contiguous`, `is_wire`, face
areas) and with `bpy.ops.mesh.select_non_manifold` option by option, so the two can be compared too.
"""

import json
import os
import subprocess
import sys

try:
    import bpy  # noqa: F401
    IN_BLENDER = True
except ImportError:
    IN_BLENDER = False

HERE = os.path.dirname(os.path.abspath(__file__))
FORMATS = ["glb", "obj", "fbx", "blend"]


def _cube(bm, offset=(0, 0, 0), uvs=True):
    import bmesh
    from mathutils import Vector
    if uvs and not bm.loops.layers.uv:
        bm.loops.layers.uv.new("UVMap")
    before = set(bm.verts)
    bmesh.ops.create_cube(bm, size=2.0, calc_uvs=uvs)
    new = [v for v in bm.verts if v not in before]
    bmesh.ops.translate(bm, verts=new, vec=Vector(offset))
    return new


def _faces_of(bm, verts):
    verts = set(verts)
    return [f for f in bm.faces if all(v in verts for v in f.verts)]


def build_case(name, bm):
    import bmesh
    if name == "closed_cube":
        _cube(bm)
    elif name == "open_cube":
        verts = _cube(bm)
        top = max(_faces_of(bm, verts), key=lambda f: f.calc_center_median().z)
        bmesh.ops.delete(bm, geom=[top], context="FACES_ONLY")
    elif name == "nonmanifold":
        _cube(bm)
        _cube(bm, offset=(2, 2, 0))
        uv = bm.loops.layers.uv.active
        fin = [bm.verts.new(p) for p in [(1, 1, -1), (1, 1, 1), (0, 2, 1), (0, 2, -1)]]
        face = bm.faces.new(fin)
        for loop, co in zip(face.loops, [(0, 0), (1, 0), (1, 1), (0, 1)]):
            loop[uv].uv = co
    elif name == "flipped":
        verts = _cube(bm)
        bmesh.ops.reverse_faces(bm, faces=[_faces_of(bm, verts)[0]])
    elif name == "loose":
        _cube(bm)
        bm.verts.new((3, 0, 0))
        bm.verts.new((3, 1, 0))
        a, b = bm.verts.new((4, 0, 0)), bm.verts.new((4, 1, 0))
        bm.edges.new((a, b))
    elif name == "degenerate":
        _cube(bm)
        tri = [bm.verts.new(p) for p in [(0, 0, 3), (1, 0, 3), (2, 0, 3)]]
        bm.faces.new(tri)
    elif name == "no_uvs":
        _cube(bm, uvs=False)
    elif name == "uv_outside":
        _cube(bm)
        uv = bm.loops.layers.uv.active
        for f in bm.faces:
            for loop in f.loops:
                loop[uv].uv.x += 1.5
    elif name == "uv_overlap":
        _cube(bm)
        uv = bm.loops.layers.uv.active
        for f in bm.faces:
            for loop, co in zip(f.loops, [(0, 0), (1, 0), (1, 1), (0, 1)]):
                loop[uv].uv = co
    elif name == "udim":
        _cube(bm)
        uv = bm.loops.layers.uv.active
        for i, f in enumerate(bm.faces):
            for loop in f.loops:
                loop[uv].uv.x += i
    elif name == "ngon_cylinder":
        bm.loops.layers.uv.new("UVMap")
        bmesh.ops.create_cone(bm, cap_ends=True, segments=8, radius1=1, radius2=1, depth=2, calc_uvs=True)
    else:
        raise ValueError(name)


CASES = ["closed_cube", "open_cube", "nonmanifold", "flipped", "loose", "degenerate", "no_uvs", "uv_outside",
         "uv_overlap", "udim", "ngon_cylinder"]


def build_all(out):
    import bpy
    import bmesh
    for name in CASES:
        bpy.ops.wm.read_factory_settings(use_empty=True)
        mesh = bpy.data.meshes.new(name)
        bm = bmesh.new()
        build_case(name, bm)
        bm.to_mesh(mesh)
        bm.free()
        obj = bpy.data.objects.new(name, mesh)
        bpy.context.scene.collection.objects.link(obj)
        material = bpy.data.materials.new("Material")
        mesh.materials.append(material)
        base = os.path.join(out, name)
        # A factory file carries its UI and brushes; without them a saved case is a few kilobytes.
        keep = bpy.context.workspace
        bpy.data.batch_remove([w for w in bpy.data.workspaces if w != keep])
        bpy.data.batch_remove(list(bpy.data.brushes))
        bpy.ops.wm.save_as_mainfile(filepath=base + ".blend", compress=True, copy=True)
        try:
            bpy.ops.export_scene.gltf(filepath=base + ".glb", export_format="GLB", use_mesh_edges=True, use_mesh_vertices=True)
        except TypeError:
            bpy.ops.export_scene.gltf(filepath=base + ".glb", export_format="GLB")
        bpy.ops.wm.obj_export(filepath=base + ".obj", export_materials=False)
        bpy.ops.export_scene.fbx(filepath=base + ".fbx")


def measure(path):
    import bpy
    import bmesh
    bpy.ops.wm.read_factory_settings(use_empty=True)
    if path.endswith(".blend"):
        bpy.ops.wm.open_mainfile(filepath=path)
    elif path.endswith(".glb"):
        import numpy
        if not hasattr(numpy, "bool"):
            numpy.bool = bool  # Blender 3.4's glTF importer still uses this alias, gone since numpy 1.24
        bpy.ops.import_scene.gltf(filepath=path)
    elif path.endswith(".obj"):
        bpy.ops.wm.obj_import(filepath=path)
    elif path.endswith(".fbx"):
        bpy.ops.import_scene.fbx(filepath=path)
    totals = {k: 0 for k in ["nonManifoldEdges", "boundaryEdges", "inconsistentWindingEdges", "looseVertices",
                             "looseEdges", "zeroAreaFaces", "ngonCount", "op_multi_face", "op_boundary",
                             "op_non_contiguous", "op_wire", "uvSetCount", "faces"]}
    outside = False
    for obj in [o for o in bpy.context.scene.objects if o.type == "MESH"]:
        bm = bmesh.new()
        bm.from_mesh(obj.data)
        bmesh.ops.remove_doubles(bm, verts=bm.verts, dist=1e-6)
        size = max(obj.dimensions) or 1.0
        for e in bm.edges:
            n = len(e.link_faces)
            totals["nonManifoldEdges"] += n > 2
            totals["boundaryEdges"] += n == 1
            totals["inconsistentWindingEdges"] += n == 2 and not e.is_contiguous
            totals["looseEdges"] += e.is_wire
        totals["looseVertices"] += sum(1 for v in bm.verts if not v.link_edges)
        totals["zeroAreaFaces"] += sum(1 for f in bm.faces if f.calc_area() <= 1e-12 * size * size)
        totals["ngonCount"] += sum(1 for f in bm.faces if len(f.verts) > 4)
        totals["faces"] += len(bm.faces)
        bm.to_mesh(obj.data)
        bm.free()
        totals["uvSetCount"] = max(totals["uvSetCount"], len(obj.data.uv_layers))
        for layer in obj.data.uv_layers:
            for d in layer.data:
                if not (-1e-3 <= d.uv.x <= 1.001 and -1e-3 <= d.uv.y <= 1.001):
                    outside = True
        # The operator, one option at a time, on the merged mesh.
        bpy.context.view_layer.objects.active = obj
        obj.select_set(True)
        bpy.ops.object.mode_set(mode="EDIT")
        bpy.ops.mesh.select_mode(type="EDGE")
        for key, option in [("op_multi_face", "use_multi_face"), ("op_boundary", "use_boundary"),
                            ("op_non_contiguous", "use_non_contiguous"), ("op_wire", "use_wire")]:
            bpy.ops.mesh.select_all(action="DESELECT")
            flags = dict(extend=False, use_wire=False, use_boundary=False, use_multi_face=False,
                         use_non_contiguous=False, use_verts=False)
            flags[option] = True
            bpy.ops.mesh.select_non_manifold(**flags)
            bpy.ops.object.mode_set(mode="OBJECT")
            totals[key] += sum(1 for e in obj.data.edges if e.select)
            bpy.ops.object.mode_set(mode="EDIT")
        bpy.ops.object.mode_set(mode="OBJECT")
        obj.select_set(False)
    totals["uvsOutsideUnitSquare"] = outside
    totals["isManifold"] = totals["faces"] > 0 and totals["boundaryEdges"] == 0 and totals["nonManifoldEdges"] == 0
    print("MEASURED " + json.dumps(totals))


def main():
    if IN_BLENDER:
        args = sys.argv[sys.argv.index("--") + 1:]
        if args[0] == "build":
            build_all(args[1])
        else:
            measure(args[1])
        return
    script = os.path.abspath(__file__)
    # Blender embeds the system Python; a pyenv or virtualenv python3 first on PATH would hide the system numpy.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYENV", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".pyenv" not in p and "venv" not in p)
    subprocess.run(["blender", "-b", "--factory-startup", "--python-exit-code", "1", "--python", script, "--", "build", HERE],
                   check=True, stdout=subprocess.DEVNULL, env=env)
    expected = {}
    for name in CASES:
        for fmt in FORMATS:
            file = f"{name}.{fmt}"
            run = subprocess.run(["blender", "-b", "--factory-startup", "--python-exit-code", "1", "--python", script, "--",
                                  "measure", os.path.join(HERE, file)], check=True, capture_output=True, text=True, env=env)
            line = next(l for l in run.stdout.splitlines() if l.startswith("MEASURED "))
            expected[file] = json.loads(line[len("MEASURED "):])
            print(file, expected[file])
    with open(os.path.join(HERE, "expected.json"), "w") as out:
        json.dump(expected, out, indent=1, sort_keys=True)
        out.write("\n")


if __name__ == "__main__":
    main()
