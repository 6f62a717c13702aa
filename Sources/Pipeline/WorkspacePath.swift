// Lexical path handling: every stage path is normalised once so that `./data/../data/ts/` and `data/ts`
// are the same output, and an output that escapes the workspace is caught before anything runs.

import YAML
public enum WorkspacePath {
    /// `a/./b/../c/` -> `a/c`; keeps a leading `/` and leading `..` components.
    public static func lexicallyNormalised(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for c in path.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            if c == "..", absolute { continue }  // `/..` is `/`
            parts.append(c)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// The path relative to `root` when it lies inside it (`.` for the root itself), else nil.
    /// A relative `path` is taken relative to `root`.
    public static func relative(_ path: String, to root: String) -> String? {
        let full = lexicallyNormalised(path.hasPrefix("/") ? path : root + "/" + path)
        let r = lexicallyNormalised(root)
        if full == r { return "." }
        let prefix = r == "/" ? "/" : r + "/"
        guard full.hasPrefix(prefix) else { return nil }
        return String(full.dropFirst(prefix.count))
    }

    /// True when `a` and `b` are the same path or one lies inside the other.
    public static func overlaps(_ a: String, _ b: String) -> Bool {
        a == b || contains(a, b) || contains(b, a)
    }

    /// True when `inner` lies strictly inside `outer`.
    public static func contains(_ outer: String, _ inner: String) -> Bool {
        outer == "." ? inner != "." && !inner.hasPrefix("/") : inner.hasPrefix(outer + "/")
    }
}
