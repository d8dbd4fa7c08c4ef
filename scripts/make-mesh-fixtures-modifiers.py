#!/usr/bin/env python3
"""Regenerates Tests/MeshInspectorTests/Fixtures/blend/modifiers: small zstd .blend scenes whose objects carry
modifiers, with the numbers Blender's own scene statistics report for them (the evaluated meshes).

Run with plain Python 3 from the repository root (Blender 3.4+ must be on PATH):

    python3 scripts/make-mesh-fixtures-modifiers.py

One headless Blender builds and saves every scene; then each file is opened in a fresh Blender and measured:
`scene.statistics()` for the counts, the evaluated meshes (depsgraph) for the bounding box, and per object the
evaluated counts, so a mismatch can be traced to one modifier.
"""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import bpy  # noqa: F401
    IN_BLENDER = True
except ImportError:
    IN_BLENDER = False

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "MeshInspectorTests", "Fixtures", "blend", "modifiers")


# ---------------------------------------------------------------------------------------------------------------
# Inside Blender: scenes
# ---------------------------------------------------------------------------------------------------------------

def _empty():
    import bpy
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return bpy.context.scene


def _object(name, build, location=(0, 0, 0), data=None):
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
    bpy.context.scene.collection.objects.link(ob)
    return ob


def _half_monkey(bm):
    """Suzanne cut at x = 0, keeping x >= 0: the seam vertices lie on the mirror plane."""
    import bmesh
    bmesh.ops.create_monkey(bm)
    geom = bm.verts[:] + bm.edges[:] + bm.faces[:]
    bmesh.ops.bisect_plane(bm, geom=geom, dist=1e-5, plane_co=(0, 0, 0), plane_no=(1, 0, 0), clear_inner=True)


def _half_grid(bm):
    """A 3 x 4 grid for x in [0, 2]; its seam column sits at x = 0.0003 (merges with the default 0.001 tolerance:
    the mirror copy is 0.0006 away) except for one vertex at x = 0.0006 (1.2 mm from its copy: kept apart)."""
    rows = []
    for j in range(4):
        row = []
        for i in range(3):
            x = float(i)
            if i == 0:
                x = 0.0006 if j == 2 else 0.0003
            row.append(bm.verts.new((x, float(j), 0.0)))
        rows.append(row)
    for j in range(3):
        for i in range(2):
            bm.faces.new((rows[j][i], rows[j][i + 1], rows[j + 1][i + 1], rows[j + 1][i]))
    # A face standing in the mirror plane: all its vertices merge with their copies, so the copy is dropped.
    a, b = rows[3][0], rows[2][0]
    c = bm.verts.new((0.0, 3.0, 1.0))
    d = bm.verts.new((0.0, 2.0, 1.0))
    bm.faces.new((a, b, d, c))


def _grid(bm, nx, ny, size=1.0, z=0.0, x0=0.0):
    verts = [[bm.verts.new((x0 + i * size, j * size, z)) for i in range(nx + 1)] for j in range(ny + 1)]
    for j in range(ny):
        for i in range(nx):
            bm.faces.new((verts[j][i], verts[j][i + 1], verts[j + 1][i + 1], verts[j + 1][i]))
    return verts


def _cube_with_loose(bm):
    import bmesh
    bmesh.ops.create_cube(bm, size=2.0)
    a, b = bm.verts.new((3, 0, 0)), bm.verts.new((4, 1, 0))
    bm.edges.new((a, b))
    bm.verts.new((-3, -3, -3))


def _ngons(bm):
    _grid(bm, 2, 1)
    tri = [bm.verts.new(p) for p in ((3, 0, 0), (4, 0, 0), (3.5, 1, 0))]
    bm.faces.new(tri)
    pentagon = [bm.verts.new((6 + math.cos(i * 2 * math.pi / 5), math.sin(i * 2 * math.pi / 5), 0)) for i in range(5)]
    bm.faces.new(pentagon)
    hexagon = [bm.verts.new((9 + math.cos(i * math.pi / 3), math.sin(i * math.pi / 3), 0)) for i in range(6)]
    bm.faces.new(hexagon)


def _doubled_grids(bm):
    """Two 2 x 2 grids side by side whose touching columns are separate vertices at the same place, plus a
    loose vertex pair 0.0004 apart."""
    _grid(bm, 2, 2)
    _grid(bm, 2, 2, x0=2.0)
    bm.verts.new((0, 5, 0))
    bm.verts.new((0.0004, 5, 0))


def _short_edge_strip(bm):
    """A strip of three quads; the middle quad has one edge 0.0005 long (welded in "connected" mode)."""
    v = [bm.verts.new(p) for p in ((0, 0, 0), (1, 0, 0), (2, 0, 0), (2.0005, 0, 0), (3, 0, 0),
                                   (0, 1, 0), (1, 1, 0), (2, 1, 0), (3, 1, 0))]
    bm.faces.new((v[0], v[1], v[6], v[5]))
    bm.faces.new((v[1], v[2], v[3], v[7], v[6]))
    bm.faces.new((v[3], v[4], v[8], v[7]))


def _open_cylinder(bm):
    import bmesh
    bmesh.ops.create_cone(bm, cap_ends=False, cap_tris=False, segments=16, radius1=1.0, radius2=1.0, depth=2.0)


def build_all(out):
    import bpy
    import bmesh

    def save(name):
        # The UI datablocks of a factory file (workspaces, brushes) are most of a small file's size.
        keep = bpy.context.workspace
        bpy.data.batch_remove([w for w in bpy.data.workspaces if w != keep])
        bpy.data.batch_remove(list(bpy.data.brushes))
        bpy.ops.outliner.orphans_purge(do_recursive=True)
        bpy.ops.wm.save_as_mainfile(filepath=os.path.join(out, name), compress=True, copy=True)

    # Mirror + Subdivision Surface on half a Suzanne: the classic character-modelling stack.
    _empty()
    ob = _object("HalfMonkey", _half_monkey)
    ob.modifiers.new("Mirror", "MIRROR")
    ob.modifiers.new("Subdivision", "SUBSURF").levels = 1
    save("mirror-subsurf-half-monkey.blend")

    # Mirror alone on half a Suzanne, placed off the origin (the mirror works in object space).
    _empty()
    ob = _object("HalfMonkey", _half_monkey, location=(2, 1, 0))
    ob.modifiers.new("Mirror", "MIRROR")
    save("mirror-half-monkey.blend")

    # Merge tolerance: seam vertices 0.3 mm and 0.6 mm off the plane, a face in the plane.
    _empty()
    ob = _object("HalfGrid", _half_grid)
    ob.modifiers.new("Mirror", "MIRROR")
    save("mirror-tolerance.blend")

    # Three axes without merging: eight copies of an off-centre cube.
    _empty()
    ob = _object("Corner", lambda bm: bmesh.ops.create_cube(bm, size=1.0), location=(0, 0, 0))
    bm = bmesh.new()
    bm.from_mesh(ob.data)
    bmesh.ops.translate(bm, vec=(1, 2, 3), verts=bm.verts)
    bm.to_mesh(ob.data)
    bm.free()
    m = ob.modifiers.new("Mirror", "MIRROR")
    m.use_axis = (True, True, True)
    m.use_mirror_merge = False
    save("mirror-xyz-nomerge.blend")

    # Mirror across another object (an empty at x = 1, turned 90 degrees about Z).
    _empty()
    ob = _object("Mirrored", lambda bm: bmesh.ops.create_cube(bm, size=1.0), location=(3, 0, 0))
    empty = bpy.data.objects.new("MirrorPivot", None)
    empty.location = (1, 0, 0)
    empty.rotation_euler = (0, 0, math.pi / 2)
    bpy.context.scene.collection.objects.link(empty)
    m = ob.modifiers.new("Mirror", "MIRROR")
    m.mirror_object = empty
    save("mirror-object.blend")

    # Bisect: the half on the negative side is cut away before mirroring.
    _empty()
    ob = _object("Bisected", lambda bm: bmesh.ops.create_uvsphere(bm, u_segments=12, v_segments=8, radius=1.0),
                 location=(0, 0, 0))
    m = ob.modifiers.new("Mirror", "MIRROR")
    m.use_bisect_axis = (True, False, False)
    save("mirror-bisect.blend")

    # Bisect cutting through faces: a 7-sided capped cylinder off-centre (n-gon caps and side quads are cut), and
    # a cube kept on the negative side (flip) of a mirror empty turned 30 degrees.
    _empty()

    def prism(bm):
        bmesh.ops.create_cone(bm, cap_ends=True, cap_tris=False, segments=7, radius1=1.0, radius2=1.0, depth=1.0)
        bmesh.ops.translate(bm, vec=(0.3, 0, 0), verts=bm.verts)
        a, b = bm.verts.new((-2, 0, 2)), bm.verts.new((1, 0, 2))
        bm.edges.new((a, b))
    ob = _object("Prism", prism)
    m = ob.modifiers.new("Mirror", "MIRROR")
    m.use_bisect_axis = (True, False, False)
    save("mirror-bisect-cut.blend")

    _empty()
    ob = _object("Cut", lambda bm: bmesh.ops.create_cube(bm, size=1.0), location=(0.2, 0, 0))
    pivot = bpy.data.objects.new("MirrorPlane", None)
    pivot.location = (0.3, 0.1, 0)
    pivot.rotation_euler = (0, 0, math.pi / 6)
    bpy.context.scene.collection.objects.link(pivot)
    m = ob.modifiers.new("Mirror", "MIRROR")
    m.mirror_object = pivot
    m.use_bisect_axis = (True, False, False)
    m.use_bisect_flip_axis = (True, False, False)
    save("mirror-bisect-flip-object.blend")

    # Subdivision level 2 on a cube with a loose edge and a loose vertex.
    _empty()
    ob = _object("CubeLoose", _cube_with_loose)
    ob.modifiers.new("Subdivision", "SUBSURF").levels = 2
    save("subsurf-loose.blend")

    # Simple subdivision, level 3 in the viewport (render level differs: the viewport one counts).
    _empty()
    ob = _object("Ngons", _ngons)
    m = ob.modifiers.new("Subdivision", "SUBSURF")
    m.subdivision_type = "SIMPLE"
    m.levels = 3
    m.render_levels = 1
    save("subsurf-simple-ngons.blend")

    # Subdivision level 5 on Suzanne: a count Blender builds but the reader keeps symbolic.
    _empty()
    ob = _object("DenseMonkey", lambda bm: bmesh.ops.create_monkey(bm))
    ob.modifiers.new("Subdivision", "SUBSURF").levels = 5
    save("subsurf-level5-monkey.blend")

    # Multires subdivided twice.
    _empty()
    ob = _object("MultiresCube", lambda bm: bmesh.ops.create_cube(bm, size=2.0))
    bpy.context.view_layer.objects.active = ob
    ob.modifiers.new("Multires", "MULTIRES")
    bpy.ops.object.multires_subdivide(modifier="Multires", mode="CATMULL_CLARK")
    bpy.ops.object.multires_subdivide(modifier="Multires", mode="CATMULL_CLARK")
    save("multires-cube.blend")

    # Array: four copies of a grid, relative offset, adjacent copies merged.
    _empty()
    ob = _object("Row", lambda bm: _grid(bm, 2, 2, size=0.5))
    m = ob.modifiers.new("Array", "ARRAY")
    m.count = 4
    m.use_merge_vertices = True
    save("array-merge.blend")

    # Array with constant offset, no merge, then Subdivision.
    _empty()
    ob = _object("Tiles", lambda bm: bmesh.ops.create_cube(bm, size=1.0))
    m = ob.modifiers.new("Array", "ARRAY")
    m.count = 3
    m.use_relative_offset = False
    m.use_constant_offset = True
    m.constant_offset_displace = (0.0, 1.5, 0.25)
    ob.modifiers.new("Subdivision", "SUBSURF").levels = 1
    save("array-constant-subsurf.blend")

    # Array closing a ring: first and last copies merge (a wedge turned by an offset object is approximated,
    # so this ring is made of straight segments whose ends meet at the start).
    _empty()
    ob = _object("Segment", lambda bm: _grid(bm, 1, 1))
    m = ob.modifiers.new("Array", "ARRAY")
    m.count = 5
    m.use_merge_vertices = True
    m.use_merge_vertices_cap = True
    m.relative_offset_displace = (1.0, 0.0, 0.0)
    m.merge_threshold = 0.01
    save("array-merge-first-last.blend")

    # Array fitting a length.
    _empty()
    ob = _object("Fit", lambda bm: bmesh.ops.create_cube(bm, size=1.0))
    m = ob.modifiers.new("Array", "ARRAY")
    m.fit_type = "FIT_LENGTH"
    m.fit_length = 5.5
    m.relative_offset_displace = (1.2, 0.0, 0.0)
    save("array-fit-length.blend")

    # A radial array: a wedge repeated eight times by an offset empty turned 45 degrees, neighbours and the first
    # and last copies merged into a closed ring.
    _empty()

    def wedge(bm):
        a0, a1 = 0.0, math.pi / 4
        v = [bm.verts.new((r * math.cos(a), r * math.sin(a), 0)) for r, a in ((1, a0), (2, a0), (2, a1), (1, a1))]
        bm.faces.new(v)
    ob = _object("Wedge", wedge)
    pivot = bpy.data.objects.new("ArrayPivot", None)
    pivot.rotation_euler = (0, 0, math.pi / 4)
    bpy.context.scene.collection.objects.link(pivot)
    m = ob.modifiers.new("Array", "ARRAY")
    m.count = 8
    m.use_relative_offset = False
    m.use_object_offset = True
    m.offset_object = pivot
    m.use_merge_vertices = True
    m.use_merge_vertices_cap = True
    save("array-radial-merge.blend")

    # An offset object that moves, turns and scales each copy, without merging.
    _empty()
    ob = _object("Stepper", lambda bm: bmesh.ops.create_cube(bm, size=1.0), location=(1, 0, 0))
    step = bpy.data.objects.new("StepEmpty", None)
    step.location = (2.5, 0.5, 0)
    step.rotation_euler = (0, 0, 0.3)
    step.scale = (0.8, 0.8, 0.8)
    bpy.context.scene.collection.objects.link(step)
    m = ob.modifiers.new("Array", "ARRAY")
    m.count = 4
    m.use_object_offset = True
    m.offset_object = step
    save("array-offset-object.blend")

    # Symbolic paths: Triangulate after Subdivision, Subdivision after Solidify.
    _empty()
    ob = _object("Cube", lambda bm: bmesh.ops.create_cube(bm, size=2.0))
    ob.modifiers.new("Subdivision", "SUBSURF").levels = 2
    ob.modifiers.new("Triangulate", "TRIANGULATE")
    save("subsurf-triangulate.blend")

    _empty()
    ob = _object("Plane", lambda bm: _grid(bm, 3, 2))
    ob.modifiers.new("Solidify", "SOLIDIFY").thickness = 0.2
    ob.modifiers.new("Subdivision", "SUBSURF").levels = 1
    save("solidify-subsurf.blend")

    # Two mirror axes with merging on a quarter grid whose seams lie on both planes.
    _empty()
    ob = _object("Quarter", lambda bm: _grid(bm, 2, 2, size=0.5))
    m = ob.modifiers.new("Mirror", "MIRROR")
    m.use_axis = (True, True, False)
    save("mirror-xy-merge.blend")

    # Only edges (a zig-zag wire) under Subdivision.
    _empty()

    def wire(bm):
        v = [bm.verts.new((i, (i % 2) * 0.5, 0)) for i in range(5)]
        for a, b in zip(v, v[1:]):
            bm.edges.new((a, b))
    ob = _object("Wire", wire)
    ob.modifiers.new("Subdivision", "SUBSURF").levels = 2
    save("subsurf-wire.blend")

    # Mirror with merging after Subdivision: the merge needs smoothed positions the reader does not compute.
    _empty()
    ob = _object("HalfGrid", lambda bm: _grid(bm, 2, 2, size=0.5))
    ob.modifiers.new("Subdivision", "SUBSURF").levels = 1
    ob.modifiers.new("Mirror", "MIRROR")
    save("subsurf-then-mirror.blend")

    # Geometry Nodes (a group passing its geometry through): not evaluated.
    _empty()
    ob = _object("Nodes", lambda bm: bmesh.ops.create_cube(bm, size=2.0))
    m = ob.modifiers.new("GeometryNodes", "NODES")
    group = bpy.data.node_groups.new("Passthrough", "GeometryNodeTree")
    group.inputs.new("NodeSocketGeometry", "Geometry")
    group.outputs.new("NodeSocketGeometry", "Geometry")
    node_in = group.nodes.new("NodeGroupInput")
    node_out = group.nodes.new("NodeGroupOutput")
    group.links.new(node_in.outputs[0], node_out.inputs[0])
    m.node_group = group
    save("geometry-nodes.blend")

    # Overlapping copies: each copy's left quad lands exactly on the previous copy's right quad and is dropped.
    _empty()
    ob = _object("Overlap", lambda bm: _grid(bm, 2, 1))
    m = ob.modifiers.new("Array", "ARRAY")
    m.count = 3
    m.relative_offset_displace = (0.5, 0.0, 0.0)
    m.use_merge_vertices = True
    save("array-overlap-merge.blend")

    # Solidify on a plane that also has a loose edge and a loose vertex.
    _empty()

    def plane_with_loose(bm):
        _grid(bm, 2, 2)
        a, b = bm.verts.new((0, 4, 0)), bm.verts.new((1, 4, 1))
        bm.edges.new((a, b))
        bm.verts.new((3, 3, 3))
    ob = _object("PlaneLoose", plane_with_loose)
    ob.modifiers.new("Solidify", "SOLIDIFY").thickness = 0.1
    save("solidify-loose.blend")

    # Weld collapsing a doubled face: two coincident quads sharing nothing become one.
    _empty()

    def doubled_quad(bm):
        for _ in range(2):
            v = [bm.verts.new(p) for p in ((0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0))]
            bm.faces.new(v)
        v = [bm.verts.new(p) for p in ((2, 0, 0), (3, 0, 0), (3, 1, 0), (2, 1, 0))]
        bm.faces.new(v)
    ob = _object("Doubled", doubled_quad)
    ob.modifiers.new("Weld", "WELD")
    save("weld-doubled-face.blend")

    # Solidify (simple) on a plane grid and on an open cylinder; one without rim.
    _empty()
    ob = _object("Plane", lambda bm: _grid(bm, 3, 2))
    ob.modifiers.new("Solidify", "SOLIDIFY").thickness = 0.1
    save("solidify-plane.blend")

    _empty()
    ob = _object("Tube", _open_cylinder)
    ob.modifiers.new("Solidify", "SOLIDIFY").thickness = 0.1
    save("solidify-open-cylinder.blend")

    _empty()
    ob = _object("Tube", _open_cylinder)
    m = ob.modifiers.new("Solidify", "SOLIDIFY")
    m.use_rim = False
    m.offset = 1.0
    save("solidify-no-rim.blend")

    _empty()
    ob = _object("Tube", _open_cylinder)
    m = ob.modifiers.new("Solidify", "SOLIDIFY")
    m.solidify_mode = "NON_MANIFOLD"
    save("solidify-complex.blend")

    # Triangulate with quads and n-gons; a second one leaves quads alone.
    _empty()
    ob = _object("Ngons", _ngons)
    ob.modifiers.new("Triangulate", "TRIANGULATE")
    save("triangulate.blend")

    _empty()
    ob = _object("Ngons", _ngons)
    ob.modifiers.new("Triangulate", "TRIANGULATE").min_vertices = 5
    save("triangulate-min5.blend")

    # Weld: "all" merges the doubled column and the close pair; "connected" only the short edge.
    _empty()
    ob = _object("Doubled", _doubled_grids)
    ob.modifiers.new("Weld", "WELD")
    save("weld-all.blend")

    _empty()
    ob = _object("Strip", _short_edge_strip)
    m = ob.modifiers.new("Weld", "WELD")
    m.mode = "CONNECTED"
    save("weld-connected.blend")

    # Decimate at ratio 1.0 changes nothing; at 0.5 it is approximated.
    _empty()
    ob = _object("Monkey", lambda bm: bmesh.ops.create_monkey(bm))
    ob.modifiers.new("Decimate", "DECIMATE")
    save("decimate-one.blend")

    _empty()
    ob = _object("Monkey", lambda bm: bmesh.ops.create_monkey(bm))
    ob.modifiers.new("Decimate", "DECIMATE").ratio = 0.5
    save("decimate-half.blend")

    # A subdivision disabled in the viewport (render only): the statistics count the base mesh.
    _empty()
    ob = _object("RenderOnly", lambda bm: bmesh.ops.create_cube(bm, size=2.0))
    m = ob.modifiers.new("Subdivision", "SUBSURF")
    m.levels = 2
    m.show_viewport = False
    save("disabled-in-viewport.blend")

    # One mesh, three users: two plain copies count it once, the third mirrors it and counts on its own.
    _empty()
    first = _object("SharedA", lambda bm: bmesh.ops.create_cube(bm, size=1.0), location=(2, 0, 0))
    _object("SharedB", None, location=(0, 3, 0), data=first.data)
    third = _object("SharedMirrored", None, location=(0, -3, 0), data=first.data)
    third.modifiers.new("Mirror", "MIRROR").use_mirror_merge = False
    bm = bmesh.new()
    bm.from_mesh(first.data)
    bmesh.ops.translate(bm, vec=(1, 0, 0), verts=bm.verts)
    bm.to_mesh(first.data)
    bm.free()
    save("shared-mesh-one-modified.blend")

    # Modifiers Blender skips as disabled: a Boolean without an operand, Geometry Nodes without a node group.
    _empty()
    ob = _object("Leftovers", lambda bm: bmesh.ops.create_cube(bm, size=2.0))
    ob.modifiers.new("Boolean", "BOOLEAN")
    ob.modifiers.new("EmptyNodes", "NODES")
    ob.modifiers.new("Subdivision", "SUBSURF").levels = 1
    save("disabled-boolean-nodes.blend")

    # Deform-only modifiers: counts unchanged.
    _empty()
    ob = _object("Deformed", lambda bm: bmesh.ops.create_monkey(bm))
    ob.modifiers.new("Displace", "DISPLACE").strength = 0.2
    ob.modifiers.new("Smooth", "SMOOTH")
    ob.modifiers.new("SimpleDeform", "SIMPLE_DEFORM").deform_method = "TWIST"
    ob.modifiers.new("CorrectiveSmooth", "CORRECTIVE_SMOOTH")
    ob.modifiers.new("Cast", "CAST")
    ob.modifiers.new("Wave", "WAVE")
    ob.modifiers.new("WeightedNormal", "WEIGHTED_NORMAL")
    save("deform-only.blend")

    # Edge Split: by angle on Suzanne, by sharp marks only on a cylinder with two marked edges, then Subdivision.
    _empty()
    ob = _object("SplitMonkey", lambda bm: bmesh.ops.create_monkey(bm))
    ob.modifiers.new("EdgeSplit", "EDGE_SPLIT")
    save("edge-split-angle.blend")

    _empty()
    ob = _object("SplitTube", _open_cylinder)
    ob.data.edges[0].use_edge_sharp = True
    ob.data.edges[5].use_edge_sharp = True
    m = ob.modifiers.new("EdgeSplit", "EDGE_SPLIT")
    m.use_edge_angle = False
    ob.modifiers.new("Subdivision", "SUBSURF").levels = 1
    save("edge-split-sharp-subsurf.blend")

    # A modifier the reader does not evaluate (Bevel) after one it does (Mirror).
    _empty()
    ob = _object("Beveled", lambda bm: bmesh.ops.create_cube(bm, size=1.0), location=(0, 0, 0))
    bm = bmesh.new()
    bm.from_mesh(ob.data)
    bmesh.ops.translate(bm, vec=(1, 0, 0), verts=bm.verts)
    bm.to_mesh(ob.data)
    bm.free()
    ob.modifiers.new("Mirror", "MIRROR")
    ob.modifiers.new("Bevel", "BEVEL")
    save("unevaluated-bevel.blend")

    # Mirror, Array and Triangulate stacked, then a Subdivision: real geometry through four steps.
    _empty()
    ob = _object("Stack", lambda bm: _grid(bm, 2, 1, size=0.5, x0=0.0))
    m = ob.modifiers.new("Mirror", "MIRROR")
    a = ob.modifiers.new("Array", "ARRAY")
    a.count = 3
    a.relative_offset_displace = (0.0, 1.0, 0.0)
    a.use_merge_vertices = True
    ob.modifiers.new("Triangulate", "TRIANGULATE")
    ob.modifiers.new("Subdivision", "SUBSURF").levels = 1
    save("stack-mirror-array-triangulate-subsurf.blend")


# ---------------------------------------------------------------------------------------------------------------
# Inside Blender: measuring
# ---------------------------------------------------------------------------------------------------------------

def _statistics():
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


def measure(result_path):
    import bpy
    depsgraph = bpy.context.evaluated_depsgraph_get()
    lo, hi = [float("inf")] * 3, [float("-inf")] * 3
    objects = {}
    mesh_keys = set()
    for instance in depsgraph.object_instances:
        ob_eval = instance.object
        ob = ob_eval.original
        if ob.type != "MESH" or (not instance.is_instance and not ob.visible_get()):
            continue
        mesh = ob_eval.data
        for v in mesh.vertices:
            w = instance.matrix_world @ v.co
            for i in range(3):
                lo[i] = min(lo[i], w[i])
                hi[i] = max(hi[i], w[i])
        active = [m for m in ob.modifiers if m.show_viewport]
        mesh_keys.add(("object", ob.name) if active else ("mesh", ob.data.name))
        objects[ob.name] = {
            "vertices": len(mesh.vertices), "edges": len(mesh.edges), "polygons": len(mesh.polygons),
            "triangles": sum(len(p.vertices) - 2 for p in mesh.polygons),
            "modifiers": [m.type for m in ob.modifiers], "viewport": [m.show_viewport for m in ob.modifiers],
        }
    stats = _statistics()
    result = {
        "vertexCount": stats["vertices"], "polygonCount": stats["polygons"], "triangleCount": stats["triangles"],
        "meshCount": len(mesh_keys),
        "evaluatedBoundingBox": {"min": [round(x, 5) for x in lo], "max": [round(x, 5) for x in hi]} if objects else None,
        "objects": objects,
        "blenderStatistics": stats["text"],
        "blenderVersion": bpy.app.version_string,
    }
    with open(result_path, "w") as fh:
        json.dump(result, fh)


# ---------------------------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------------------------

def run_blender(*args, blend=None):
    command = ["blender", "-b"] + ([blend] if blend else ["--factory-startup"])
    command += ["--python", os.path.abspath(__file__), "--"] + list(args)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def main():
    work = tempfile.mkdtemp(prefix="hwc3d-modifier-fixtures-")
    try:
        run_blender("build", work)
        shutil.rmtree(OUT, ignore_errors=True)
        os.makedirs(OUT)
        expected = {}
        for name in sorted(os.listdir(work)):
            if not name.endswith(".blend"):
                continue
            source = os.path.join(work, name)
            shutil.copy(source, os.path.join(OUT, name))
            result_path = os.path.join(work, name + ".json")
            run_blender("measure", result_path, blend=source)
            with open(result_path) as fh:
                expected[name] = json.load(fh)
        with open(os.path.join(OUT, "expected.json"), "w") as fh:
            json.dump(expected, fh, indent=2, sort_keys=True)
            fh.write("\n")
        for name, entry in expected.items():
            print(name, entry["blenderStatistics"])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if IN_BLENDER:
    argv = sys.argv[sys.argv.index("--") + 1:]
    if argv[0] == "build":
        build_all(argv[1])
    elif argv[0] == "measure":
        measure(argv[1])
elif __name__ == "__main__":
    main()
