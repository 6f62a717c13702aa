import YAML
import Foundation

// `${params.name}` in strings. A string that is exactly one reference keeps the param's type (a list stays
// a list); references inside longer strings are replaced by the value's text (lists joined by commas).
// `$${` writes a literal `${`. Dotted names reach into nested params (`${params.train.lr}`).

enum Interpolation {
    /// Resolves every reference in `text`; `mark` is where the scalar starts (errors point into it).
    /// `source`, when given, is the file's text: a reference's position is found there, since in a quoted,
    /// folded or block scalar the offset within the value is not the offset on the line.
    static func resolve(_ text: String, params: [String: Value], mark: SourceMark, source: SourceText? = nil) throws -> Value {
        guard text.contains("${") else { return .string(text) }
        var out = ""
        var exact: Value?
        var i = text.startIndex
        var pieces = 0
        while i < text.endIndex {
            if text[i...].hasPrefix("$${") {
                out += "${"
                i = text.index(i, offsetBy: 3)
                pieces += 1
                continue
            }
            if text[i...].hasPrefix("${") {
                let open = text.index(i, offsetBy: 2)
                let close = text[open...].firstIndex(of: "}")
                let written = String(text[i..<(close.map { text.index(after: $0) } ?? text.endIndex)])
                let earlier = text[..<i].components(separatedBy: written).count - 1
                let at = source?.find(written, occurrence: earlier, from: mark)
                    ?? mark.offset(by: text.distance(from: text.startIndex, to: i))
                guard let close else {
                    throw PipelineError.badInterpolation(at, text: text, reason: "'${' is never closed by '}'")
                }
                let reference = text[open..<close].trimmingCharacters(in: .whitespaces)
                let value = try lookup(reference, params: params, mark: at, text: text)
                if i == text.startIndex && text.index(after: close) == text.endIndex { exact = value }
                out += value.argumentText
                pieces += 1
                i = text.index(after: close)
                continue
            }
            out.append(text[i])
            i = text.index(after: i)
        }
        if let exact, pieces == 1 { return exact }
        return .string(out)
    }

    static func lookup(_ reference: String, params: [String: Value], mark: SourceMark, text: String) throws -> Value {
        let parts = reference.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts[0] == "params", parts.dropFirst().allSatisfy({ !$0.isEmpty }) else {
            throw PipelineError.badInterpolation(mark, text: text, reason: "'\(reference)' is not a params reference")
        }
        var current: [String: Value] = params
        var value: Value = .null
        for (n, name) in parts.dropFirst().enumerated() {
            guard let v = current[name] else {
                throw PipelineError.unknownParam(parts[1...(n + 1)].joined(separator: "."), mark, known: current.keys.sorted())
            }
            value = v
            if n + 2 < parts.count {
                guard case .map(let m) = v else {
                    throw PipelineError.badInterpolation(mark, text: text, reason: "params.\(parts[1...(n + 1)].joined(separator: ".")) is not a mapping")
                }
                current = m
            }
        }
        if case .map = value, text != "${\(reference)}" {
            throw PipelineError.badInterpolation(mark, text: text, reason: "params.\(parts.dropFirst().joined(separator: ".")) is a mapping and cannot be put inside a string")
        }
        return value
    }

    /// Every string inside a value resolved (lists and maps walked).
    static func resolve(_ value: YAMLNode, params: [String: Value], source: SourceText? = nil) throws -> Value {
        switch value.content {
        case .scalar:
            if case .string(let s)? = value.scalarValue { return try resolve(s, params: params, mark: value.mark, source: source) }
            return Value(value)
        case .sequence(let items):
            return .list(try items.map { try resolve($0, params: params, source: source) })
        case .mapping(let pairs):
            var m: [String: Value] = [:]
            for (k, v) in pairs { m[k.text!] = try resolve(v, params: params, source: source) }
            return .map(m)
        }
    }
}

extension SourceMark {
    /// The mark `n` characters further on the same line (for errors inside a plain scalar).
    func offset(by n: Int) -> SourceMark { SourceMark(file: file, line: line, column: column + n) }
}

/// A pipeline file's text by lines, to find where a piece of a scalar was written.
struct SourceText: Sendable {
    let lines: [[Character]]

    init(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
    }

    /// The position of the `occurrence`-th (0-based) appearance of `needle` at or after `mark`, or nil.
    func find(_ needle: String, occurrence: Int, from mark: SourceMark) -> SourceMark? {
        let n = Array(needle)
        guard !n.isEmpty else { return nil }
        var left = occurrence
        var row = mark.line - 1
        var start = mark.column - 1
        while row >= 0 && row < lines.count {
            let line = lines[row]
            if line.count >= n.count && start <= line.count - n.count {
                for c in start...(line.count - n.count) where line[c..<(c + n.count)].elementsEqual(n) {
                    if left == 0 { return SourceMark(file: mark.file, line: row + 1, column: c + 1) }
                    left -= 1
                }
            }
            row += 1
            start = 0
        }
        return nil
    }
}
