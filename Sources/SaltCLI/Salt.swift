// The entry point: dispatches `salt <command> ...`, prints help and version, and turns every error into
// one clear message on stderr and a non-zero exit.
import Foundation

public enum Salt {
    public static let version = "0.1.0"

    /// Every subcommand, in the order `salt --help` lists them.
    static let commands: [any Command.Type] = [
        RunCommand.self,
        StatusCommand.self,
        DagCommand.self,
        GcCommand.self,
        ConvertCommand.self,
        TreeCommand.self,
        TrainCommand.self,
        ExportCommand.self,
        PredictCommand.self,
        EvaluateCommand.self,
        InfoCommand.self,
        BenchCommand.self,
    ]

    static var overview: String {
        var s = """
        salt \(version): hierarchical segmentation of CT scans with label trees (SALT), as a pipeline runner.

        Usage: salt <command> [options]
               salt --help | --version

        Commands:

        """
        let width = commands.map { $0.name.count }.max() ?? 0
        for c in commands {
            s += "  " + c.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + c.summary + "\n"
        }
        s += "\nRun 'salt <command> --help' for a command's options."
        return s
    }

    /// Runs salt with the given arguments (without the program name); returns the exit code.
    public static func main(_ argv: [String]) -> Int32 {
        // Line-buffered stdout even into a pipe: a pipeline stage's progress must reach the runner's
        // console and log as it happens, not in 4 KB blocks.
        setvbuf(stdout, nil, _IOLBF, 0)
        guard let first = argv.first else {
            print(overview)
            return 0
        }
        if first == "--help" || first == "-h" || first == "help" {
            if argv.count > 1, let c = commands.first(where: { $0.name == argv[1] }) { print(c.help); return 0 }
            print(overview)
            return 0
        }
        if first == "--version" || first == "-V" {
            print("salt \(version)")
            return 0
        }
        guard let command = commands.first(where: { $0.name == first }) else {
            FileHandle.standardError.write(Data("salt: unknown command '\(first)'; run 'salt --help' for the list\n".utf8))
            return 2
        }
        let rest = Array(argv.dropFirst())
        if rest.contains("--help") || rest.contains("-h") {
            print(command.help)
            return 0
        }
        var arguments = Arguments(command: command.name, rest)
        do {
            return try command.run(&arguments)
        } catch let error as UsageError {
            FileHandle.standardError.write(Data("\(error.message)\n".utf8))
            return 2
        } catch {
            FileHandle.standardError.write(Data("salt \(command.name): error: \(error)\n".utf8))
            return 1
        }
    }
}
