// Starting a stage's command: posix_spawn in its own process group (so Ctrl-C reaches salt alone, and salt
// stops the whole group cleanly), standard input from /dev/null, standard output and error into one pipe
// that salt copies to the log and the console, the workspace as its working directory, and signal
// dispositions reset (salt ignores SIGINT while it runs; a child must not inherit that).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct ChildProcess {
    let pid: pid_t
    /// The read end of the child's output pipe.
    let output: Int32

    static func spawn(_ argv: [String], directory: String, stage: String) throws -> ChildProcess {
        var fds: [Int32] = [0, 0]
        guard systemPipe2(&fds, O_CLOEXEC) == 0 else { throw RunnerError.spawn(stage: stage, function: "pipe2", errno: errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        guard spawnAddChdir(&actions, directory) == 0 else {
            close(fds[0]); close(fds[1])
            throw RunnerError.spawn(stage: stage, function: "posix_spawn_file_actions_addchdir_np", errno: ENOSYS)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGHUP] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, environ)
        close(fds[1])
        guard code == 0 else {
            close(fds[0])
            throw RunnerError.spawn(stage: stage, function: "posix_spawn of \(argv[0])", errno: code)
        }
        return ChildProcess(pid: pid, output: fds[0])
    }

    /// Waits for the child; returns its exit status, or 128 + the signal that ended it.
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return 255 }
        }
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }
}

/// glibc's posix_spawn_file_actions_addchdir_np (2.29+; declared only under _GNU_SOURCE).
@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func spawnAddChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32

/// pipe2(2) (declared only under _GNU_SOURCE); close-on-exec from the start so no other child inherits it.
@_silgen_name("pipe2")
private func systemPipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32
