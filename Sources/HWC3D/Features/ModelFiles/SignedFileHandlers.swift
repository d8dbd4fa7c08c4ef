import Foundation
import HWC3DAPI
import OpenAPIRuntime

extension APIHandler {
    /// `GET /api/v1/files/{token}`: the token is the permission (see `DownloadLinkSigner`), so no session is
    /// needed. Streams from storage, one byte range at most.
    func downloadSignedFile(_ input: Operations.DownloadSignedFile.Input) async throws
        -> Operations.DownloadSignedFile.Output
    {
        let link: DownloadLinkSigner.Link
        do {
            // Derived per request: two HMACs, cheaper than keeping another service around.
            link = try DownloadLinkSigner(serverSecret: services.settings.jwtSecret).verify(input.path.token, now: Date())
        } catch DownloadLinkSigner.Refusal.expired {
            throw Problem.downloadLinkExpired
        } catch {
            throw Problem.invalidDownloadLink
        }

        let storage = services.storage
        var requested: ClosedRange<Int>?
        if let range = ByteRangeRequest.parse(input.headers.range) {
            guard let info = try await storage.head(key: link.key) else { throw Problem.notFound("File") }
            guard let resolved = range.resolve(size: info.size) else { throw Problem.rangeNotSatisfiable(size: info.size) }
            requested = resolved
        }
        let body: StoredObjectBody
        do {
            guard let found = try await storage.read(key: link.key, range: requested) else { throw Problem.notFound("File") }
            body = found
        } catch StorageError.rangeNotSatisfiable(let size) {
            // The file changed between the two looks.
            throw Problem.rangeNotSatisfiable(size: size)
        }

        let disposition = ContentDisposition.attachment(filename: link.filename)
        // Links are personal and short-lived: nothing on the way may keep a copy.
        let cacheControl = "private, no-store"
        guard requested != nil else {
            return .ok(.init(
                headers: .init(contentDisposition: disposition, acceptRanges: "bytes", cacheControl: cacheControl),
                body: .binary(body.bytes)))
        }
        return .partialContent(.init(
            headers: .init(
                contentRange: "bytes \(body.range.lowerBound)-\(body.range.upperBound - 1)/\(body.info.size)",
                contentDisposition: disposition, acceptRanges: "bytes", cacheControl: cacheControl),
            body: .binary(body.bytes)))
    }
}

extension Problem {
    static let invalidDownloadLink = Problem(
        .forbidden, "invalid-download-link", "Invalid download link",
        detail: "This download link is not valid. Ask for a new one from the model's page.")
    static let downloadLinkExpired = Problem(
        .forbidden, "download-link-expired", "Download link expired",
        detail: "This download link has expired. Ask for a new one from the model's page.")

    static func rangeNotSatisfiable(size: Int) -> Problem {
        Problem(
            .rangeNotSatisfiable, "range-not-satisfiable", "Range not satisfiable",
            detail: "The file is \(size) bytes long.", headers: [("Content-Range", "bytes */\(size)")])
    }
}
