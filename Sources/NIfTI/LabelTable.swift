// Label names carried in a NIfTI header extension as XML, the way TotalSegmentator (and Connectome
// Workbench's CaretExtension) write them, extension code 0:
//   <LabelTable><Label Key="5" Red="0.0" Green="1.0" Blue="1.0" Alpha="1"><![CDATA[liver]]></Label>...</LabelTable>
import Foundation

public enum LabelTable {
    /// True when an extension looks like an XML label table.
    static func isLabelTable(_ ext: NIfTIExtension) -> Bool {
        guard let text = String(bytes: ext.data.prefix(while: { $0 != 0 }), encoding: .utf8) else { return false }
        return text.contains("<LabelTable")
    }

    /// The value -> name table in an XML `<LabelTable>`; throws `invalidLabelTable` naming `path`.
    public static func parse(_ data: [UInt8], path: String) throws -> [Int: String] {
        guard let text = String(bytes: data.prefix(while: { $0 != 0 }), encoding: .utf8) else {
            throw NIfTIError.invalidLabelTable(path: path, detail: "the extension is not UTF-8 text")
        }
        guard let start = text.range(of: "<LabelTable") else { return [:] }
        guard let end = text.range(of: "</LabelTable>", range: start.upperBound..<text.endIndex) else {
            throw NIfTIError.invalidLabelTable(path: path, detail: "<LabelTable> is not closed")
        }
        var table: [Int: String] = [:]
        var cursor = start.upperBound
        while let open = text.range(of: "<Label", range: cursor..<end.lowerBound) {
            // "<LabelTable" itself was skipped; "<Label" followed by a space or ">" starts an entry.
            guard let tagEnd = text.range(of: ">", range: open.upperBound..<end.lowerBound) else {
                throw NIfTIError.invalidLabelTable(path: path, detail: "unterminated <Label tag")
            }
            let attributes = String(text[open.upperBound..<tagEnd.lowerBound])
            guard let close = text.range(of: "</Label>", range: tagEnd.upperBound..<end.lowerBound) else {
                throw NIfTIError.invalidLabelTable(path: path, detail: "<Label\(attributes)> is not closed")
            }
            guard let keyText = attribute("Key", in: attributes), let key = Int(keyText.trimmingCharacters(in: .whitespaces)) else {
                throw NIfTIError.invalidLabelTable(path: path, detail: "<Label\(attributes)> has no whole-number Key")
            }
            let name = content(String(text[tagEnd.upperBound..<close.lowerBound]))
            if let previous = table[key], previous != name {
                throw NIfTIError.invalidLabelTable(path: path, detail: "Key \(key) is named twice ('\(previous)' and '\(name)')")
            }
            table[key] = name
            cursor = close.upperBound
        }
        return table
    }

    /// The XML extension for a table, in TotalSegmentator's layout (so tools reading theirs read ours).
    public static func extensionData(_ table: [Int: String]) -> [UInt8] {
        var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?> <CaretExtension>  <VolumeInformation Index=\"0\">   <LabelTable>\n"
        for key in table.keys.sorted() {
            let name = table[key]!.replacingOccurrences(of: "]]>", with: "]]]]><![CDATA[>")
            s += "<Label Key=\"\(key)\" Red=\"\(colour(key, 0))\" Green=\"\(colour(key, 1))\" Blue=\"\(colour(key, 2))\" Alpha=\"1\"><![CDATA[\(name)]]></Label>\n"
        }
        s += "\n  </LabelTable>  <VolumeType><![CDATA[Label]]></VolumeType>   </VolumeInformation></CaretExtension>\n"
        return Array(s.utf8)
    }

    /// A fixed, distinct-looking colour channel for a key (viewers want one; the value carries no meaning).
    private static func colour(_ key: Int, _ channel: Int) -> String {
        let palette: [[Double]] = [[0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 0.5, 0], [1, 0, 0.5], [0.5, 1, 0.5], [0, 0.5, 1], [0.5, 0.5, 0.5]]
        let c = palette[((key - 1) % palette.count + palette.count) % palette.count][channel]
        return c == 0 ? "0.0" : (c == 1 ? "1.0" : "0.5")
    }

    private static func attribute(_ name: String, in attributes: String) -> String? {
        for quote in ["\"", "'"] {
            if let r = attributes.range(of: " \(name)=\(quote)") ?? attributes.range(of: "\t\(name)=\(quote)") ?? attributes.range(of: "\n\(name)=\(quote)"),
               let e = attributes.range(of: quote, range: r.upperBound..<attributes.endIndex) {
                return String(attributes[r.upperBound..<e.lowerBound])
            }
        }
        return nil
    }

    /// Element text: CDATA sections verbatim, other text with the five XML entities decoded, trimmed.
    private static func content(_ raw: String) -> String {
        var out = ""
        var rest = Substring(raw)
        while !rest.isEmpty {
            if let c = rest.range(of: "<![CDATA[") {
                out += decodeEntities(String(rest[rest.startIndex..<c.lowerBound]))
                if let e = rest.range(of: "]]>", range: c.upperBound..<rest.endIndex) {
                    out += rest[c.upperBound..<e.lowerBound]
                    rest = rest[e.upperBound...]
                } else {
                    out += rest[c.upperBound...]
                    rest = ""
                }
            } else {
                out += decodeEntities(String(rest))
                rest = ""
            }
        }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func decodeEntities(_ s: String) -> String {
        guard s.contains("&") else { return s }
        return s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
