// A small command-line parser (no outside packages can be fetched, so no swift-argument-parser).
// Options: `--name value`, `--name=value`, boolean `--flag`, short aliases such as `-j 2`; everything
// else is positional; `--` ends options. Each command reads what it knows, then calls `finish()`, which
// rejects anything left over by name.

public struct UsageError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public struct Arguments {
    public let command: String
    private var tokens: [String]
    private var consumed: Set<Int> = []
    private var afterDashDash: Int

    public init(command: String, _ arguments: [String]) {
        self.command = command
        self.tokens = arguments
        self.afterDashDash = arguments.firstIndex(of: "--") ?? arguments.count
        if afterDashDash < arguments.count { consumed.insert(afterDashDash) }
    }

    /// Index of `--name` or `--name=...` (or any alias) among unconsumed option tokens.
    private func find(_ names: [String]) -> (index: Int, inline: String?)? {
        for i in 0..<afterDashDash where !consumed.contains(i) {
            let t = tokens[i]
            for n in names {
                if t == n { return (i, nil) }
                if t.hasPrefix(n + "=") { return (i, String(t.dropFirst(n.count + 1))) }
            }
        }
        return nil
    }

    /// True when `--name` is given (may not take a value).
    public mutating func flag(_ names: String...) -> Bool {
        var seen = false
        while let (i, inline) = find(names) {
            consumed.insert(i)
            if inline != nil { seen = ["1", "true", "yes"].contains(inline!.lowercased()) } else { seen = true }
        }
        return seen
    }

    /// The value of `--name VALUE` (the last one given), or nil.
    public mutating func option(_ names: String...) throws -> String? {
        try values(names).last
    }

    /// Every value of a repeatable option, in order.
    public mutating func options(_ names: String...) throws -> [String] {
        try values(names)
    }

    private mutating func values(_ names: [String]) throws -> [String] {
        var out: [String] = []
        while let (i, inline) = find(names) {
            consumed.insert(i)
            if let inline { out.append(inline); continue }
            guard i + 1 < afterDashDash, !consumed.contains(i + 1) else {
                throw UsageError("salt \(command): option \(tokens[i]) needs a value")
            }
            consumed.insert(i + 1)
            out.append(tokens[i + 1])
        }
        return out
    }

    public mutating func int(_ names: String..., default value: Int) throws -> Int {
        guard let s = try values(names).last else { return value }
        guard let v = Int(s) else { throw UsageError("salt \(command): \(names[0]) expects a whole number, got '\(s)'") }
        return v
    }

    public mutating func double(_ names: String..., default value: Double) throws -> Double {
        guard let s = try values(names).last else { return value }
        guard let v = Double(s) else { throw UsageError("salt \(command): \(names[0]) expects a number, got '\(s)'") }
        return v
    }

    /// A comma-separated list of numbers (`--spacing 3,3,3`).
    public mutating func doubles(_ names: String..., default value: [Double]) throws -> [Double] {
        guard let s = try values(names).last else { return value }
        let parts = s.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else {
            throw UsageError("salt \(command): \(names[0]) expects numbers separated by commas, got '\(s)'")
        }
        return parts.map { $0! }
    }

    public mutating func ints(_ names: String..., default value: [Int]) throws -> [Int] {
        guard let s = try values(names).last else { return value }
        let parts = s.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else {
            throw UsageError("salt \(command): \(names[0]) expects whole numbers separated by commas, got '\(s)'")
        }
        return parts.map { $0! }
    }

    /// Positional arguments; call after reading every option so option values are not taken for them.
    public mutating func positionals() throws -> [String] {
        var out: [String] = []
        for i in 0..<tokens.count where !consumed.contains(i) {
            if i < afterDashDash, tokens[i].hasPrefix("-"), tokens[i] != "-" {
                throw UsageError("salt \(command): unknown option \(tokens[i]); see 'salt \(command) --help'")
            }
            consumed.insert(i)
            out.append(tokens[i])
        }
        return out
    }

    /// Positional arguments seen so far, without consuming them (for subcommand words).
    public func positionalsPeek() throws -> [String] {
        var copy = self
        return try copy.positionals()
    }

    /// The first positional argument not yet read, without consuming it; options are skipped (so call
    /// it for a leading subcommand word, before options with values could be mistaken for it).
    public func firstPositionalPeek() -> String? {
        for i in 0..<tokens.count where !consumed.contains(i) && !(i < afterDashDash && tokens[i].hasPrefix("-")) {
            return tokens[i]
        }
        return nil
    }

    /// Consumes the first positional argument (a sub-subcommand word such as a bench suite).
    public mutating func consumeFirstPositional() {
        for i in 0..<tokens.count where !consumed.contains(i) && !(i < afterDashDash && tokens[i].hasPrefix("-")) {
            consumed.insert(i)
            return
        }
    }

    /// Fails on any token nobody read.
    public mutating func finish() throws {
        let rest = try positionals()
        if !rest.isEmpty {
            throw UsageError("salt \(command): unexpected argument '\(rest[0])'; see 'salt \(command) --help'")
        }
    }
}

import Foundation
