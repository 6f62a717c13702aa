// A small CSV reader for the tables datasets ship with their splits: SAROS's `info.csv` (comma
// separated) and TotalSegmentator's `meta.csv` (semicolon separated). The delimiter is whichever of
// ';', ',' and tab the header line uses most; quoted fields ("a, b" and "" for a quote) are understood.
import Foundation

public struct CSVTable: Sendable {
    public let file: String
    public let header: [String]
    public let rows: [[String]]

    public init(file: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ConversionError.csv(file: file, detail: "cannot read: \(error.localizedDescription)")
        }
        try self.init(text: text, file: file)
    }

    public init(text: String, file: String) throws {
        self.file = file
        var body = Substring(text)
        if body.hasPrefix("\u{FEFF}") { body = body.dropFirst() }   // Excel's byte-order mark
        let firstLine = body.prefix { $0 != "\n" && $0 != "\r\n" }
        let delimiter: Character = [";", ",", "\t"].max { a, b in
            firstLine.filter { $0 == a }.count < firstLine.filter { $0 == b }.count
        }!
        var records = CSVTable.parse(body, delimiter: delimiter)
        while let last = records.last, last.allSatisfy({ $0.isEmpty }) { records.removeLast() }
        guard let header = records.first else {
            throw ConversionError.csv(file: file, detail: "the table is empty; expected a header line")
        }
        self.header = header.map { $0.trimmingCharacters(in: .whitespaces) }
        self.rows = records.dropFirst().filter { !($0.count == 1 && $0[0].isEmpty) }
    }

    /// The index of a column, or an error naming the columns there are.
    public func column(_ name: String) throws -> Int {
        guard let i = header.firstIndex(of: name) else {
            throw ConversionError.csv(file: file, detail: "no column '\(name)'; columns are: \(header.joined(separator: ", "))")
        }
        return i
    }

    /// Column `value` keyed by column `key` (the first row wins when a key repeats).
    public func dictionary(key: String, value: String) throws -> [String: String] {
        let k = try column(key), v = try column(value)
        var out: [String: String] = [:]
        for (n, row) in rows.enumerated() {
            guard row.count > max(k, v) else {
                throw ConversionError.csv(file: file, detail: "row \(n + 2) has \(row.count) fields; the header has \(header.count)")
            }
            let key = row[k].trimmingCharacters(in: .whitespaces)
            if out[key] == nil { out[key] = row[v].trimmingCharacters(in: .whitespaces) }
        }
        return out
    }

    static func parse(_ text: Substring, delimiter: Character) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if quoted {
                if c == "\"" {
                    let next = text.index(after: i)
                    if next < text.endIndex, text[next] == "\"" { field.append("\""); i = next } else { quoted = false }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == delimiter {
                record.append(field); field = ""
            } else if c == "\n" || c == "\r\n" || c == "\r" {
                record.append(field); field = ""
                records.append(record); record = []
            } else {
                field.append(c)
            }
            i = text.index(after: i)
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }
}
