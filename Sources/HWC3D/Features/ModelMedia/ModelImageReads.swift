import Foundation
import HWC3DAPI
import SQLKit

/// The cover image of a model card, as SQL pieces for the one-statement card read (`ModelCards`), and the gallery
/// of the detail page as one JSON column of its statement, so that only ModelMedia queries `model_images` and
/// decides which image is the cover.
enum ModelImageReads {
    /// `LEFT JOIN` of the cover under `alias`: the chosen one (`coverIDColumn`), else the model's first image by
    /// position (a correlated subquery, once per card, on the `(model_id, position)` index); no row: no image.
    static func leftJoinCover(alias: String, chosen coverIDColumn: String, modelIDColumn: String) -> SQLQueryString {
        """
        LEFT JOIN model_images \(unsafeRaw: alias) ON \(unsafeRaw: alias).id = COALESCE(\(unsafeRaw: coverIDColumn),
            (SELECT fi.id FROM model_images fi WHERE fi.model_id = \(unsafeRaw: modelIDColumn) ORDER BY fi.position, fi.id LIMIT 1))
        """
    }

    static let coverColumns = ["id", "position", "width", "height", "created_at", "generated"]

    /// The model's images in gallery order, as one JSON column (`gallery(in:column:coverID:settings:)` decodes it).
    static func galleryColumn(modelIDColumn: String, dialect: String) -> SQLQueryString {
        SQLJSONRows.array(
            fields: coverColumns.map { ($0, $0) }, from: "model_images", where: "model_id = \(unsafeRaw: modelIDColumn)",
            orderBy: "position", dialect: dialect)
    }

    /// The gallery `galleryColumn` read, the image `coverID` names marked as the cover.
    static func gallery(in row: any SQLRow, column: String, coverID: UUID?, settings: Settings) throws -> [Components.Schemas.ModelImage] {
        try SQLJSONRows.decode(GalleryImage.self, from: row, column: column).map { image in
            .init(
                id: image.id.uuidString.lowercased(), position: image.position, isCover: image.id == coverID, width: image.width,
                height: image.height, urls: ImageRenditionFiles.models.urls(imageID: image.id, settings: settings),
                createdAt: image.created_at?.value ?? Date(), generated: image.generated.value)
        }
    }

    private struct GalleryImage: Decodable {
        let id: UUID
        let position: Int
        let width: Int
        let height: Int
        let created_at: SQLJSONRows.Date?
        let generated: SQLJSONRows.Bool
    }

    /// `i.id AS i_id, i.position AS i_position, …`: what `cover(from:prefix:settings:)` decodes.
    static func coverColumns(from alias: String, prefix: String) -> SQLQueryString {
        "\(unsafeRaw: coverColumns.map { "\(alias).\($0) AS \(prefix)\($0)" }.joined(separator: ", "))"
    }

    /// The cover selected by `coverColumns`; nil when the model has no image.
    static func cover(from row: any SQLRow, prefix: String, settings: Settings) throws -> Components.Schemas.ModelImage? {
        guard let imageID = try row.decode(column: prefix + "id", as: UUID?.self) else { return nil }
        return .init(
            id: imageID.uuidString.lowercased(), position: try row.decode(column: prefix + "position", as: Int.self), isCover: true,
            width: try row.decode(column: prefix + "width", as: Int.self), height: try row.decode(column: prefix + "height", as: Int.self),
            urls: ImageRenditionFiles.models.urls(imageID: imageID, settings: settings),
            createdAt: try row.decode(column: prefix + "created_at", as: Date?.self) ?? Date(timeIntervalSince1970: 0),
            generated: try row.decode(column: prefix + "generated", as: Bool?.self) ?? false)
    }
}
