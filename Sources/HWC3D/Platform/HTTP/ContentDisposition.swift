/// `Content-Disposition: attachment` for a file name a user chose, so it can never break out of the header or
/// smuggle a path.
enum ContentDisposition {
    /// `attachment; filename="chair.glb"`; a name that is not plain ASCII also travels as RFC 8187
    /// `filename*=UTF-8''…`, with an ASCII stand-in in `filename` for old clients.
    static func attachment(filename: String) -> String {
        let cleaned = String(String.UnicodeScalarView(filename.unicodeScalars.compactMap { scalar -> Unicode.Scalar? in
            if scalar.properties.generalCategory == .control { return nil }
            return scalar == "/" || scalar == "\\" ? "_" : scalar
        })).trimmingSpaces()
        let name = cleaned.isEmpty ? "download" : cleaned
        let ascii = String(String.UnicodeScalarView(name.unicodeScalars.map { scalar -> Unicode.Scalar in
            scalar.isASCII && scalar != "\"" ? scalar : "_"
        }))
        var value = "attachment; filename=\"\(ascii)\""
        if ascii != name {
            value += "; filename*=UTF-8''" + SigV4Signer.uriEncode(name, keepSlash: false)
        }
        return value
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var scalars = Substring(self).unicodeScalars
        while let first = scalars.first, first == " " || first == "." { scalars.removeFirst() }
        while let last = scalars.last, last == " " { scalars.removeLast() }
        return String(scalars)
    }
}
