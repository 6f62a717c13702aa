// A YAML node tree that keeps source positions: scalars keep their quoting style so a quoted "5" can stay a
// string; mappings keep their key order as written.

/// How a scalar was written; only plain scalars are resolved to null, booleans and numbers.
public enum ScalarStyle: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// A scalar resolved with the YAML 1.2 core schema.
public enum ScalarValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
}

public struct YAMLNode: Sendable {
    public enum Content: Sendable {
        case scalar(String, ScalarStyle)
        case sequence([YAMLNode])
        /// Pairs in source order; keys are unique (the parser rejects duplicates).
        case mapping([(key: YAMLNode, value: YAMLNode)])
    }

    public var content: Content
    /// Where the node starts.
    public var mark: SourceMark
    /// An explicit tag (`!!str`, `!custom`), if one was written.
    public var tag: String?

    public init(_ content: Content, mark: SourceMark, tag: String? = nil) {
        self.content = content
        self.mark = mark
        self.tag = tag
    }

    /// The scalar's text, or nil for a sequence or mapping.
    public var text: String? {
        if case .scalar(let s, _) = content { return s }
        return nil
    }

    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    public var mapping: [(key: YAMLNode, value: YAMLNode)]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    /// The value for a scalar key in a mapping.
    public subscript(key: String) -> YAMLNode? {
        mapping?.first(where: { $0.key.text == key })?.value
    }

    /// A short word for messages: "a mapping", "a list", "a string".
    public var kindDescription: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar:
            switch scalarValue! {
            case .null: return "null"
            case .bool: return "a boolean"
            case .int: return "an integer"
            case .double: return "a number"
            case .string: return "a string"
            }
        }
    }

    /// The scalar resolved by the core schema (nil for collections). Quoted, literal and folded scalars
    /// and those tagged `!!str` are strings.
    public var scalarValue: ScalarValue? {
        guard case .scalar(let s, let style) = content else { return nil }
        if let tag {
            switch tag {
            case "tag:yaml.org,2002:str", "!!str": return .string(s)
            case "tag:yaml.org,2002:int", "!!int": if let i = Self.resolveInt(s) { return .int(i) }
            case "tag:yaml.org,2002:float", "!!float": if let d = Self.resolveDouble(s) ?? Self.resolveInt(s).map(Double.init) { return .double(d) }
            default: break
            }
        }
        guard style == .plain else { return .string(s) }
        return Self.resolvePlain(s)
    }

    /// Core schema (YAML 1.2.2, 10.3.2) for plain scalars.
    public static func resolvePlain(_ s: String) -> ScalarValue {
        switch s {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if let i = resolveInt(s) { return .int(i) }
        if let d = resolveDouble(s) { return .double(d) }
        return .string(s)
    }

    static func resolveInt(_ s: String) -> Int? {
        var body = Substring(s)
        var sign = 1
        if body.first == "-" || body.first == "+" {
            if body.first == "-" { sign = -1 }
            body = body.dropFirst()
        }
        if body.hasPrefix("0x") { return Int(body.dropFirst(2), radix: 16).map { $0 * sign } }
        if body.hasPrefix("0o") { return Int(body.dropFirst(2), radix: 8).map { $0 * sign } }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(body).map { $0 * sign }
    }

    static func resolveDouble(_ s: String) -> Double? {
        switch s {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
        let allowed = Set("0123456789.eE+-")
        guard !s.isEmpty, s.allSatisfy({ allowed.contains($0) }), s.contains(where: { $0.isNumber }) else { return nil }
        return Double(s)
    }
}
