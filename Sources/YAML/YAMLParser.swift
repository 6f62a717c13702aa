// The one door to libyaml: its event parser turned into `YAMLNode` trees. Every libyaml failure becomes a
// thrown `YAMLError` naming the libyaml function. Anchors and aliases are resolved here (an alias is a copy
// of the anchored node, keeping the alias's own position).
import CYAML

enum YAMLParser {
    static func parseFirstDocument(_ text: String, file: String) throws -> YAMLNode? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw YAMLError.initialisation(function: "yaml_parser_initialize") }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBufferPointer { buffer -> YAMLNode? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = Builder(file: file)
            return try builder.run(&parser)
        }
    }

    /// Builds nodes from events with an explicit stack (deep documents cannot overflow the call stack).
    private struct Builder {
        let file: String
        var anchors: [String: YAMLNode] = [:]
        var stack: [Frame] = []
        var document: YAMLNode?
        var done = false

        struct Frame {
            var isMapping: Bool
            var mark: SourceMark
            var tag: String?
            var anchor: String?
            var items: [YAMLNode] = []
        }

        init(file: String) { self.file = file }

        func mark(_ m: yaml_mark_t) -> SourceMark {
            SourceMark(file: file, line: Int(m.line) + 1, column: Int(m.column) + 1)
        }

        static func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            guard let p else { return nil }
            return String(cString: UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))
        }

        mutating func run(_ parser: inout yaml_parser_t) throws -> YAMLNode? {
            while !done {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
                    let context = parser.context.map { String(cString: $0) }
                    throw YAMLError.syntax(mark(parser.problem_mark), problem: problem, context: context, function: "yaml_parser_parse")
                }
                defer { yaml_event_delete(&event) }
                try handle(&event)
            }
            return document
        }

        mutating func handle(_ event: inout yaml_event_t) throws {
            let at = mark(event.start_mark)
            switch event.type {
            case YAML_STREAM_END_EVENT, YAML_DOCUMENT_END_EVENT:
                done = true
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                let text = String(decoding: UnsafeBufferPointer(start: s.value, count: Int(s.length)), as: UTF8.self)
                let style: ScalarStyle
                switch s.style {
                case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
                case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
                case YAML_LITERAL_SCALAR_STYLE: style = .literal
                case YAML_FOLDED_SCALAR_STYLE: style = .folded
                default: style = .plain
                }
                var tag = Self.string(s.tag)
                if tag == "!" { tag = "tag:yaml.org,2002:str" }  // a non-specific "!" tag means string
                let node = YAMLNode(.scalar(text, style), mark: at, tag: tag)
                if let anchor = Self.string(s.anchor) { anchors[anchor] = node }
                try add(node)
            case YAML_ALIAS_EVENT:
                let name = Self.string(event.data.alias.anchor) ?? ""
                guard var node = anchors[name] else { throw YAMLError.unknownAlias(name, at) }
                node.mark = at
                try add(node)
            case YAML_SEQUENCE_START_EVENT:
                let s = event.data.sequence_start
                stack.append(Frame(isMapping: false, mark: at, tag: Self.string(s.tag), anchor: Self.string(s.anchor)))
            case YAML_MAPPING_START_EVENT:
                let m = event.data.mapping_start
                stack.append(Frame(isMapping: true, mark: at, tag: Self.string(m.tag), anchor: Self.string(m.anchor)))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let frame = stack.removeLast()
                let node: YAMLNode
                if frame.isMapping {
                    var pairs: [(key: YAMLNode, value: YAMLNode)] = []
                    var seen: [String: SourceMark] = [:]
                    var i = 0
                    while i + 1 < frame.items.count {
                        let key = frame.items[i], value = frame.items[i + 1]
                        guard let k = key.text else { throw YAMLError.complexKey(key.mark) }
                        if let first = seen[k] { throw YAMLError.duplicateKey(k, key.mark, first: first) }
                        seen[k] = key.mark
                        pairs.append((key, value))
                        i += 2
                    }
                    node = YAMLNode(.mapping(pairs), mark: frame.mark, tag: frame.tag)
                } else {
                    node = YAMLNode(.sequence(frame.items), mark: frame.mark, tag: frame.tag)
                }
                if let anchor = frame.anchor { anchors[anchor] = node }
                try add(node)
            default:
                break  // stream/document start, no-op events
            }
        }

        mutating func add(_ node: YAMLNode) throws {
            if stack.isEmpty {
                document = node
            } else {
                stack[stack.count - 1].items.append(node)
            }
        }
    }
}
