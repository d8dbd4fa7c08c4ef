import Foundation

/// One small scene written in the layouts of several Blender versions with `SyntheticBlend`:
///
/// - a square pyramid mesh (5 vertices, 1 quad + 4 triangles = 6 triangles, 16 corners) used by two visible
///   objects — "Pyramid" at (1,2,3), rotated 90° about Z, scaled 2, and its child "Copy" 10 units along the
///   parent's X — counted once, as Blender's statistics count a shared mesh;
/// - a second mesh on an object hidden in the view layer, and another on an object in no collection;
/// - 2 materials, 1 image (plus a "Render Result" viewer image), 1 action; scene unit scale 0.5.
///
/// Expected: 5 vertices, 5 polygons, 6 triangles, 1 mesh; bounding box (−0.5, 0, 1.5)–(1.5, 12, 2.5) m.
enum BlendSyntheticScene {
    enum Layout: String, CaseIterable {
        /// 3.6 names (`totvert`, `totpoly`, `poly_offset_indices`, `vdata`, `size`, stored `object_to_world`),
        /// written as a 32-bit big-endian file to exercise those paths as well.
        case v306BigEndian32
        /// 4.2 names (`verts_num`, `faces_num`, `corners_num`, `face_offset_indices`, `vert_data`), no stored
        /// world matrix, so object transforms are rebuilt from loc/rot/scale and the parent.
        case v402
        /// 5.0: 17-byte header, 64-bit block headers, positions in `attribute_storage`, 258-byte ID names.
        case v500
    }

    static let expectedBox = (min: [-0.5, 0.0, 1.5], max: [1.5, 12.0, 2.5])

    struct Pointers {
        static let global: UInt64 = 0x1000, scene: UInt64 = 0x1100, viewLayer: UInt64 = 0x1200
        static let layerRoot: UInt64 = 0x1300, layerChild: UInt64 = 0x1310, master: UInt64 = 0x1400
        static let sub: UInt64 = 0x1500, gobject1: UInt64 = 0x1600, gobject2: UInt64 = 0x1610, gobject3: UInt64 = 0x1620
        static let child: UInt64 = 0x1700, base1: UInt64 = 0x1800, base2: UInt64 = 0x1810, base3: UInt64 = 0x1820
        static let object1: UInt64 = 0x2000, object2: UInt64 = 0x2100, object3: UInt64 = 0x2200, object4: UInt64 = 0x2300
        static let mesh1: UInt64 = 0x3000, mesh2: UInt64 = 0x3100, layers: UInt64 = 0x3200, positions: UInt64 = 0x3300
        static let offsets: UInt64 = 0x3400, mesh2Layers: UInt64 = 0x3500, mesh2Positions: UInt64 = 0x3600
        static let attributes: UInt64 = 0x3700, attributeArray: UInt64 = 0x3800, attributeName: UInt64 = 0x3900
        static let material1: UInt64 = 0x4000, material2: UInt64 = 0x4100, image: UInt64 = 0x4200
        static let viewer: UInt64 = 0x4300, action: UInt64 = 0x4400
    }

    /// Field names that differ between the layouts.
    struct Names {
        var verts, edges, faces, corners, offsets, vertData, edgeData, faceData, cornerData, scale: String
        var idName: String
        var storedMatrix: Bool
        var attributeStorage: Bool
    }

    static func names(_ layout: Layout) -> Names {
        switch layout {
        case .v306BigEndian32:
            Names(verts: "totvert", edges: "totedge", faces: "totpoly", corners: "totloop", offsets: "*poly_offset_indices",
                  vertData: "vdata", edgeData: "edata", faceData: "pdata", cornerData: "ldata", scale: "size[3]",
                  idName: "name[66]", storedMatrix: true, attributeStorage: false)
        case .v402:
            Names(verts: "verts_num", edges: "edges_num", faces: "faces_num", corners: "corners_num", offsets: "*face_offset_indices",
                  vertData: "vert_data", edgeData: "edge_data", faceData: "face_data", cornerData: "corner_data", scale: "scale[3]",
                  idName: "name[66]", storedMatrix: false, attributeStorage: false)
        case .v500:
            Names(verts: "verts_num", edges: "edges_num", faces: "faces_num", corners: "corners_num", offsets: "*face_offset_indices",
                  vertData: "vert_data", edgeData: "edge_data", faceData: "face_data", cornerData: "corner_data", scale: "scale[3]",
                  idName: "name[258]", storedMatrix: false, attributeStorage: true)
        }
    }

    static func blend(_ layout: Layout) -> SyntheticBlend {
        let n = names(layout)
        var blend: SyntheticBlend
        switch layout {
        case .v306BigEndian32: blend = SyntheticBlend(header: .classic(version: "306"), pointerSize: 4, littleEndian: false)
        case .v402: blend = SyntheticBlend(header: .classic(version: "402"))
        case .v500: blend = SyntheticBlend(header: .large(version: "0500"))
        }
        blend.define("ListBase", [("void", "*first"), ("void", "*last")])
        blend.define("ID", [("void", "*next"), ("void", "*prev"), ("ID", "*newid"), ("void", "*lib"), ("char", n.idName),
                            ("short", "flag"), ("short", "_pad"), ("int", "tag"), ("int", "us")])
        blend.define("CustomDataLayer", [("int", "type"), ("int", "offset"), ("int", "flag"), ("int", "active"), ("char", "name[68]"),
                                         ("void", "*data"), ("void", "*sharing_info")])
        blend.define("CustomData", [("CustomDataLayer", "*layers"), ("int", "typemap[53]"), ("int", "totlayer"), ("int", "maxlayer"),
                                    ("int", "totsize"), ("int", "_pad"), ("void", "*pool"), ("void", "*external")])
        blend.define("Attribute", [("char", "*name"), ("short", "data_type"), ("int8_t", "domain"), ("int8_t", "storage_type"),
                                   ("char", "_pad[4]"), ("void", "*data")])
        blend.define("AttributeArray", [("void", "*data"), ("int64_t", "size"), ("void", "*sharing_info")])
        blend.define("AttributeStorage", [("Attribute", "*dna_attributes"), ("int", "dna_attributes_num"), ("char", "_pad[4]"),
                                          ("void", "*runtime")])
        var mesh: [(String, String)] = [("ID", "id"), ("void", "*adt"), ("void", "**mat"), ("int", n.verts), ("int", n.edges),
                                        ("int", n.faces), ("int", n.corners), ("int", n.offsets)]
        if n.attributeStorage { mesh.append(("AttributeStorage", "attribute_storage")) }
        mesh += [("CustomData", n.vertData), ("CustomData", n.edgeData), ("CustomData", n.faceData), ("CustomData", n.cornerData),
                 ("short", "totcol"), ("short", "_pad2[3]")]
        blend.define("Mesh", mesh)
        blend.define("ModifierData", [("ModifierData", "*next"), ("ModifierData", "*prev"), ("int", "type"), ("int", "mode"), ("char", "name[64]")])
        var object: [(String, String)] = [("ID", "id"), ("void", "*adt"), ("short", "type"), ("short", "partype"), ("Object", "*parent"),
                                          ("void", "*data"), ("ListBase", "modifiers"), ("float", "loc[3]"), ("float", "dloc[3]"),
                                          ("float", n.scale), ("float", "dscale[3]"), ("float", "rot[3]"), ("float", "drot[3]"),
                                          ("float", "quat[4]"), ("float", "dquat[4]"), ("float", "rotAxis[3]"), ("float", "drotAxis[3]"),
                                          ("float", "rotAngle"), ("float", "drotAngle")]
        if n.storedMatrix { object.append(("float", "object_to_world[4][4]")) }
        object += [("float", "parentinv[4][4]"), ("short", "rotmode"), ("short", "visibility_flag")]
        blend.define("Object", object)
        blend.define("Collection", [("ID", "id"), ("ListBase", "gobject"), ("ListBase", "children"), ("short", "flag"), ("short", "_pad[3]")])
        blend.define("CollectionObject", [("CollectionObject", "*next"), ("CollectionObject", "*prev"), ("Object", "*ob")])
        blend.define("CollectionChild", [("CollectionChild", "*next"), ("CollectionChild", "*prev"), ("Collection", "*collection")])
        blend.define("LayerCollection", [("LayerCollection", "*next"), ("LayerCollection", "*prev"), ("Collection", "*collection"),
                                         ("short", "flag"), ("short", "_pad[3]"), ("ListBase", "layer_collections")])
        blend.define("Base", [("Base", "*next"), ("Base", "*prev"), ("Object", "*object"), ("short", "flag"), ("short", "_pad[3]")])
        blend.define("ViewLayer", [("ViewLayer", "*next"), ("ViewLayer", "*prev"), ("char", "name[64]"), ("ListBase", "object_bases"),
                                   ("ListBase", "layer_collections")])
        blend.define("UnitSettings", [("float", "scale_length"), ("char", "system"), ("char", "_pad[3]")])
        blend.define("Scene", [("ID", "id"), ("UnitSettings", "unit"), ("ListBase", "view_layers"), ("Collection", "*master_collection")])
        blend.define("FileGlobal", [("void", "*curscreen"), ("Scene", "*curscene"), ("ViewLayer", "*cur_view_layer")])
        blend.define("Material", [("ID", "id")])
        blend.define("Image", [("ID", "id"), ("short", "source"), ("short", "type")])
        blend.define("bAction", [("ID", "id")])
        return blend
    }

    /// The full file; `tamper` may change or drop records, and add blocks, before they are written.
    static func file(_ layout: Layout, tamper: (inout [String: SyntheticBlend.Record], inout SyntheticBlend) -> Void = { _, _ in }) -> [UInt8] {
        var blend = blend(layout)
        let n = names(layout)
        typealias P = Pointers
        var records: [String: SyntheticBlend.Record] = [:]

        var global = blend.record("FileGlobal")
        global.set("curscene", pointer: P.scene)
        global.set("cur_view_layer", pointer: P.viewLayer)
        records["global"] = global

        var scene = blend.record("Scene")
        scene.set("id.name", string: "SCScene")
        scene.set("unit.scale_length", floats: [0.5])
        scene.set("view_layers.first", pointer: P.viewLayer)
        scene.set("view_layers.last", pointer: P.viewLayer)
        scene.set("master_collection", pointer: P.master)
        records["scene"] = scene

        var viewLayer = blend.record("ViewLayer")
        viewLayer.set("object_bases.first", pointer: P.base1)
        viewLayer.set("object_bases.last", pointer: P.base3)
        viewLayer.set("layer_collections.first", pointer: P.layerRoot)
        viewLayer.set("layer_collections.last", pointer: P.layerRoot)
        records["viewLayer"] = viewLayer

        var layerRoot = blend.record("LayerCollection")
        layerRoot.set("collection", pointer: P.master)
        layerRoot.set("layer_collections.first", pointer: P.layerChild)
        layerRoot.set("layer_collections.last", pointer: P.layerChild)
        records["layerRoot"] = layerRoot
        var layerChild = blend.record("LayerCollection")
        layerChild.set("collection", pointer: P.sub)
        records["layerChild"] = layerChild

        var master = blend.record("Collection")
        master.set("id.name", string: "GRScene Collection")
        master.set("gobject.first", pointer: P.gobject1)
        master.set("gobject.last", pointer: P.gobject2)
        master.set("children.first", pointer: P.child)
        master.set("children.last", pointer: P.child)
        records["master"] = master
        var sub = blend.record("Collection")
        sub.set("id.name", string: "GRSub")
        sub.set("gobject.first", pointer: P.gobject3)
        sub.set("gobject.last", pointer: P.gobject3)
        records["sub"] = sub
        var child = blend.record("CollectionChild")
        child.set("collection", pointer: P.sub)
        records["child"] = child

        for (key, object, next) in [("gobject1", P.object1, P.gobject2), ("gobject2", P.object2, 0), ("gobject3", P.object3, 0)] {
            var entry = blend.record("CollectionObject")
            entry.set("ob", pointer: object)
            entry.set("next", pointer: next)
            records[key] = entry
        }
        for (key, object, next, flag) in [("base1", P.object1, P.base2, Int64(0)), ("base2", P.object2, P.base3, 0),
                                          ("base3", P.object3, 0, 1 << 8)] {
            var base = blend.record("Base")
            base.set("object", pointer: object)
            base.set("next", pointer: next)
            base.set("flag", int: flag)
            records[key] = base
        }

        let identity: [Float] = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
        func object(_ name: String, mesh: UInt64, location: [Float], rotation: [Float], scale: [Float], parent: UInt64, world: [Float]) -> SyntheticBlend.Record {
            var record = blend.record("Object")
            record.set("id.name", string: "OB" + name)
            record.set("type", int: 1)
            record.set("data", pointer: mesh)
            record.set("parent", pointer: parent)
            record.set("loc", floats: location)
            record.set("rot", floats: rotation)
            record.set(n.scale.hasPrefix("size") ? "size" : "scale", floats: scale)
            record.set("dscale", floats: [1, 1, 1])
            record.set("quat", floats: [1, 0, 0, 0])
            record.set("dquat", floats: [1, 0, 0, 0])
            record.set("parentinv", floats: identity)
            record.set("rotmode", int: 1)
            if n.storedMatrix { record.set("object_to_world", floats: world) }
            return record
        }
        // Column-major world matrices, as Blender stores them: T(1,2,3)·Rz(90°)·S(2), and that times T(10,0,0).
        let world1: [Float] = [0, 2, 0, 0, -2, 0, 0, 0, 0, 0, 2, 0, 1, 2, 3, 1]
        let world2: [Float] = [0, 2, 0, 0, -2, 0, 0, 0, 0, 0, 2, 0, 1, 22, 3, 1]
        records["object1"] = object("Pyramid", mesh: P.mesh1, location: [1, 2, 3], rotation: [0, 0, .pi / 2], scale: [2, 2, 2], parent: 0, world: world1)
        records["object2"] = object("Copy", mesh: P.mesh1, location: [10, 0, 0], rotation: [0, 0, 0], scale: [1, 1, 1], parent: P.object1, world: world2)
        records["object3"] = object("Hidden", mesh: P.mesh2, location: [100, 0, 0], rotation: [0, 0, 0], scale: [1, 1, 1], parent: 0, world: identity)
        records["object4"] = object("NotInScene", mesh: P.mesh2, location: [0, 0, 0], rotation: [0, 0, 0], scale: [1, 1, 1], parent: 0, world: identity)

        var mesh1 = blend.record("Mesh")
        mesh1.set("id.name", string: "MEPyramid")
        mesh1.set(n.verts, int: 5)
        mesh1.set(n.edges, int: 8)
        mesh1.set(n.faces, int: 5)
        mesh1.set(n.corners, int: 16)
        mesh1.set(String(n.offsets.dropFirst()), pointer: P.offsets)
        if n.attributeStorage {
            mesh1.set("attribute_storage.dna_attributes", pointer: P.attributes)
            mesh1.set("attribute_storage.dna_attributes_num", int: 1)
        } else {
            mesh1.set("\(n.vertData).layers", pointer: P.layers)
            mesh1.set("\(n.vertData).totlayer", int: 1)
        }
        records["mesh1"] = mesh1
        var mesh2 = blend.record("Mesh")
        mesh2.set("id.name", string: "MEOther")
        mesh2.set(n.verts, int: 3)
        mesh2.set(n.faces, int: 0)
        records["mesh2"] = mesh2

        var layer = blend.record("CustomDataLayer")
        layer.set("type", int: 48)
        layer.set("name", string: "position")
        layer.set("data", pointer: P.positions)
        records["layer"] = layer

        var attribute = blend.record("Attribute")
        attribute.set("name", pointer: P.attributeName)
        attribute.set("data_type", int: 7)
        attribute.set("domain", int: 0)
        attribute.set("storage_type", int: 0)
        attribute.set("data", pointer: P.attributeArray)
        records["attribute"] = attribute
        var array = blend.record("AttributeArray")
        array.set("data", pointer: P.positions)
        array.set("size", int: 5)
        records["attributeArray"] = array

        for (key, type) in [("material1", "Material"), ("material2", "Material"), ("image", "Image"), ("viewer", "Image"), ("action", "bAction")] {
            var record = blend.record(type)
            record.set("id.name", string: key)
            if key == "image" { record.set("source", int: 1) }
            if key == "viewer" { record.set("source", int: 5) }
            records[key] = record
        }

        tamper(&records, &blend)

        func put(_ key: String, _ code: String, _ pointer: UInt64) {
            if let record = records[key] { blend.add(record, code: code, pointer: pointer) }
        }
        put("global", "GLOB", 0x10)
        put("scene", "SC", P.scene)
        put("viewLayer", "DATA", P.viewLayer)
        put("layerRoot", "DATA", P.layerRoot)
        put("layerChild", "DATA", P.layerChild)
        put("master", "DATA", P.master)
        put("sub", "GR", P.sub)
        put("child", "DATA", P.child)
        put("gobject1", "DATA", P.gobject1)
        put("gobject2", "DATA", P.gobject2)
        put("gobject3", "DATA", P.gobject3)
        put("base1", "DATA", P.base1)
        put("base2", "DATA", P.base2)
        put("base3", "DATA", P.base3)
        put("object1", "OB", P.object1)
        put("object2", "OB", P.object2)
        put("object3", "OB", P.object3)
        put("object4", "OB", P.object4)
        put("mesh1", "ME", P.mesh1)
        put("mesh2", "ME", P.mesh2)
        if n.attributeStorage {
            put("attribute", "DATA", P.attributes)
            put("attributeArray", "DATA", P.attributeArray)
            blend.addBlock(code: "DATA", struct: nil, pointer: P.attributeName, data: Array("position".utf8) + [0])
        } else {
            put("layer", "DATA", P.layers)
        }
        // A square pyramid: base corners at z = 0, apex at (0, 0, 1).
        let positions: [Float] = [-1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 1, 0, 0, 0, 1]
        blend.addBlock(code: "DATA", struct: nil, pointer: P.positions, data: blend.floats(positions))
        blend.addBlock(code: "DATA", struct: nil, pointer: P.offsets, data: blend.ints([0, 4, 7, 10, 13, 16]))
        put("material1", "MA", P.material1)
        put("material2", "MA", P.material2)
        put("image", "IM", P.image)
        put("viewer", "IM", P.viewer)
        put("action", "AC", P.action)
        return blend.build()
    }
}
