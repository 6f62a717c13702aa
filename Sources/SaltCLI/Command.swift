// Every subcommand of `salt`: parses typed options and calls one library function.

public protocol Command {
    /// The subcommand word (`salt info`).
    static var name: String { get }
    /// One line for `salt --help`.
    static var summary: String { get }
    /// The full help text (`salt NAME --help`): usage line, options, an example.
    static var help: String { get }
    /// Runs the command; returns the process exit code.
    static func run(_ arguments: inout Arguments) throws -> Int32
}
