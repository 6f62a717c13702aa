// The command-line parser every subcommand shares.
import Testing
@testable import SaltCLI

@Suite struct ArgumentsTests {
    @Test func optionsFlagsAndPositionals() throws {
        var a = Arguments(command: "x", ["in.nii", "--epochs", "5", "--spacing=3,3,2.5", "--json", "-j", "2", "out"])
        let v72 = try a.int("--epochs", default: 1); #expect(v72 == 5)
        let v124 = try a.doubles("--spacing", default: []); #expect(v124 == [3, 3, 2.5])
        let v737 = try a.int("--jobs", "-j", default: 1); #expect(v737 == 2)
        let json = a.flag("--json"), force = a.flag("--force")
        #expect(json)
        #expect(!force)
        let rest = try a.positionals()
        #expect(rest == ["in.nii", "out"])
        try a.finish()
    }

    @Test func defaultsWhenAbsent() throws {
        var a = Arguments(command: "x", [])
        let v823 = try a.int("--epochs", default: 7); #expect(v823 == 7)
        let v263 = try a.option("--out"); #expect(v263 == nil)
        let v569 = try a.ints("--patch", default: [64, 64, 32]); #expect(v569 == [64, 64, 32])
    }

    @Test func unknownOptionIsNamed() throws {
        var a = Arguments(command: "train", ["--epoch", "5"])
        _ = try a.int("--epochs", default: 1)
        #expect(throws: UsageError.self) { try a.finish() }
        var b = Arguments(command: "train", ["--epoch", "5"])
        do { try b.finish() } catch let e as UsageError {
            #expect(e.message.contains("--epoch"))
            #expect(e.message.contains("salt train --help"))
        }
    }

    @Test func badNumbersAreRejected() throws {
        var a = Arguments(command: "train", ["--epochs", "five", "--patch", "64,x"])
        var b = a
        #expect(throws: UsageError.self) { _ = try a.int("--epochs", default: 1) }
        #expect(throws: UsageError.self) { _ = try b.ints("--patch", default: []) }
    }

    @Test func missingValueIsAnError() throws {
        var a = Arguments(command: "predict", ["--model-file"])
        #expect(throws: UsageError.self) { _ = try a.option("--model-file") }
    }

    @Test func dashDashEndsOptions() throws {
        var a = Arguments(command: "x", ["--", "--not-an-option"])
        let rest = try a.positionals()
        #expect(rest == ["--not-an-option"])
    }

    @Test func mainDispatch() {
        #expect(Salt.main(["--version"]) == 0)
        #expect(Salt.main(["no-such-command"]) == 2)
        #expect(Salt.main(["bench", "no-such-suite"]) == 2)
    }
}
