// Decides each case's split from the spec's `SplitRule` (see there for the order of the rules).
import Foundation

struct SplitAssigner {
    let rule: SplitRule
    let forced: Split?
    /// From the CSV table: case id -> raw split value.
    let csvValues: [String: String]?
    let csvFile: String?

    init(rule: SplitRule, source: String, forced: Split?) throws {
        self.rule = rule
        self.forced = forced
        if let csv = rule.csv, forced == nil {
            let fm = FileManager.default
            guard let file = csv.files.map({ $0.hasPrefix("/") ? $0 : source + "/" + $0 }).first(where: fm.fileExists) else {
                throw ConversionError.csv(file: csv.files.joined(separator: " or "),
                    detail: "not found in '\(source)'; the spec takes the splits from it (or pass --split to put every case in one split)")
            }
            csvValues = try CSVTable(file: file).dictionary(key: csv.caseColumn, value: csv.splitColumn)
            csvFile = file
        } else {
            csvValues = nil
            csvFile = nil
        }
    }

    func split(of c: SourceCase) throws -> Split {
        if let forced { return forced }
        var s = try ruledSplit(of: c)
        if s == .train, rule.valFraction > 0, StableHash.unitInterval(c.name) < rule.valFraction { s = .val }
        return s
    }

    private func ruledSplit(of c: SourceCase) throws -> Split {
        if let token = c.splitToken, !rule.tokens.isEmpty {
            guard let s = rule.tokens[token] else {
                throw ConversionError.badInput(case: c.name, file: c.image,
                    detail: "split token '\(token)' is not in the spec's split tokens (\(rule.tokens.keys.sorted().joined(separator: ", ")))")
            }
            return s
        }
        if let csv = rule.csv, let values = csvValues, let file = csvFile {
            if let raw = values[c.id] ?? values[c.name] {
                guard let s = csv.values[raw] else {
                    throw ConversionError.csv(file: file, detail: "case '\(c.id)' has split '\(raw)', which the spec does not map "
                        + "(mapped: \(csv.values.keys.sorted().joined(separator: ", ")))")
                }
                return s
            }
            if csv.required {
                throw ConversionError.csv(file: file, detail: "no row for case '\(c.id)' in column '\(csv.caseColumn)'")
            }
        }
        if !rule.ids.isEmpty, let n = numericID(c.id) {
            if let r = rule.ids.first(where: { $0.lower <= n && n <= $0.upper }) { return r.split }
        }
        return rule.fallback
    }

    /// The last run of digits in an id ("case_00012" -> 12), or nil.
    func numericID(_ id: String) -> Int? {
        let digits = id.reversed().drop { !$0.isNumber }.prefix { $0.isNumber }
        return digits.isEmpty ? nil : Int(String(digits.reversed()))
    }
}
