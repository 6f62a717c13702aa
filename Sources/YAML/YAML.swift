// YAML: YAML documents read through libyaml (the only target that calls it) into nodes that remember their
// file, line and column, so every later error can point at the source.
// Imports: CYAML (only in YAMLParser.swift), Foundation. Knows nothing of pipelines.
//
// Entry points: `YAML.parse(_:file:)` -> `YAMLNode?` (the first document; nil for an empty stream),
// `YAMLNode.scalarValue` (core-schema resolution: a quoted "5" stays a string, a plain 5 is an integer).

/// A position in a source file; line and column are 1-based, as editors show them.
public struct SourceMark: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `pipeline.yaml:12:5`
    public var description: String { "\(file):\(line):\(column)" }
}

public enum YAML {
    /// Parses the first document of `text`; `file` names the source in marks and errors.
    /// Returns nil when the stream holds no document (an empty file).
    public static func parse(_ text: String, file: String) throws -> YAMLNode? {
        try YAMLParser.parseFirstDocument(text, file: file)
    }
}
