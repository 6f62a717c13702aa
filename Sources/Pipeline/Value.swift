// A typed value from the pipeline file (params and built-in options), and its canonical bytes: the only
// form that reaches a stage key (map keys sorted by their UTF-8 bytes, each value tagged with its type;
// never `hashValue` or dictionary order).

import YAML
public indirect enum Value: Sendable, Hashable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Value])
    case map([String: Value])

    /// A YAML node as a value (core-schema scalars; a quoted "5" stays a string).
    public init(_ node: YAMLNode) {
        switch node.content {
        case .scalar:
            switch node.scalarValue! {
            case .null: self = .null
            case .bool(let b): self = .bool(b)
            case .int(let i): self = .int(i)
            case .double(let d): self = .double(d)
            case .string(let s): self = .string(s)
            }
        case .sequence(let items): self = .list(items.map(Value.init))
        case .mapping(let pairs):
            var m: [String: Value] = [:]
            for (k, v) in pairs { m[k.text!] = Value(v) }
            self = .map(m)
        }
    }

    /// Appends the canonical encoding: one tag byte, then a fixed-width or length-prefixed body.
    public func encodeCanonical(into out: inout [UInt8]) {
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func str(_ s: String) { let b = Array(s.utf8); u64(UInt64(b.count)); out.append(contentsOf: b) }
        switch self {
        case .null: out.append(UInt8(ascii: "N"))
        case .bool(let b): out.append(UInt8(ascii: b ? "T" : "F"))
        case .int(let i): out.append(UInt8(ascii: "I")); u64(UInt64(bitPattern: Int64(i)))
        case .double(let d):
            out.append(UInt8(ascii: "D"))
            u64(d == 0 ? 0 : (d.isNaN ? Double.nan.bitPattern : d.bitPattern))  // one zero, one NaN
        case .string(let s): out.append(UInt8(ascii: "S")); str(s)
        case .list(let items):
            out.append(UInt8(ascii: "L")); u64(UInt64(items.count))
            for v in items { v.encodeCanonical(into: &out) }
        case .map(let m):
            out.append(UInt8(ascii: "M")); u64(UInt64(m.count))
            for k in m.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                str(k)
                m[k]!.encodeCanonical(into: &out)
            }
        }
    }

    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        encodeCanonical(into: &out)
        return out
    }

    /// A total order by canonical bytes (for sorting lists of paths the same way on every run).
    public static func canonicalLess(_ a: Value, _ b: Value) -> Bool {
        a.canonicalBytes.lexicographicallyPrecedes(b.canonicalBytes)
    }

    /// The text a value takes inside a string or on a command line: lists joined by commas.
    public var argumentText: String {
        switch self {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return s
        case .list(let items): return items.map(\.argumentText).joined(separator: ",")
        case .map(let m): return "{" + m.keys.sorted().map { "\($0): \(m[$0]!.description)" }.joined(separator: ", ") + "}"
        }
    }

    /// YAML-like flow text for messages and `salt status`: strings quoted, lists in brackets.
    public var description: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .null: return "null"
        default: return argumentText
        }
    }

    /// The strings inside a string or a list of strings (path options); nil for anything else.
    var paths: [String]? {
        switch self {
        case .string(let s): return [s]
        case .list(let items):
            var out: [String] = []
            for v in items { guard case .string(let s) = v else { return nil }; out.append(s) }
            return out
        default: return nil
        }
    }
}
