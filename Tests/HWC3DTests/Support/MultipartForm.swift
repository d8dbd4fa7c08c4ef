import Foundation
import NIOCore

/// A multipart/form-data body built by hand, so tests control every byte (boundaries, names, content types).
struct MultipartForm {
    struct Part {
        let name: String
        let filename: String?
        let contentType: String?
        let data: [UInt8]
    }

    let parts: [Part]
    let boundary = "----hwc3d-test-\(UUID().uuidString)"

    /// The usual case: one `file` part.
    static func file(_ data: [UInt8], filename: String?, contentType: String? = "application/octet-stream") -> MultipartForm {
        MultipartForm(parts: [.init(name: "file", filename: filename, contentType: contentType, data: data)])
    }

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    var body: ByteBuffer {
        var bytes: [UInt8] = []
        for part in parts {
            var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
            if let filename = part.filename { head += "; filename=\"\(filename)\"" }
            head += "\r\n"
            if let contentType = part.contentType { head += "Content-Type: \(contentType)\r\n" }
            head += "\r\n"
            bytes += Array(head.utf8)
            bytes += part.data
            bytes += Array("\r\n".utf8)
        }
        bytes += Array("--\(boundary)--\r\n".utf8)
        return ByteBuffer(bytes: bytes)
    }
}
