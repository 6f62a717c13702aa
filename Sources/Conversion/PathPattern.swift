// A path pattern relative to a dataset's source folder, e.g. `imagesTr/{case}_0000.nii.gz` or
// `**/segmentation-{case}.nii`. Placeholders `{case}`, `{split}`, `{structure}` capture one path
// component's worth of characters (no '/'); `*` matches any characters but '/'; a `**` component matches
// any number of folders (none included). `.nii` and `.nii.gz` endings match each other, since datasets
// are often re-compressed by whoever downloaded them.
import Foundation

public struct PathPattern: Sendable {
    public let text: String
    private let regex: NSRegularExpression
    /// Placeholder names in the order of their capture groups.
    private let groups: [String]

    public init(_ text: String) throws {
        self.text = text
        var re = "^"
        var groups: [String] = []
        var rest = Substring(text)
        if text.hasSuffix(".nii.gz") { rest = rest.dropLast(7) } else if text.hasSuffix(".nii") { rest = rest.dropLast(4) }
        let niftiEnding = rest.count != text.count
        while let c = rest.first {
            if rest.hasPrefix("**/") {
                re += "(?:[^/]+/)*"
                rest = rest.dropFirst(3)
            } else if c == "*" {
                re += "[^/]*"
                rest = rest.dropFirst()
            } else if c == "{" {
                guard let close = rest.firstIndex(of: "}") else {
                    throw ConversionError.invalidOption("pattern '\(text)': '{' without '}'")
                }
                let name = String(rest[rest.index(after: rest.startIndex)..<close])
                guard ["case", "split", "structure"].contains(name) else {
                    throw ConversionError.invalidOption("pattern '\(text)': unknown placeholder {\(name)}; use {case}, {split} or {structure}")
                }
                // A repeated placeholder (`{split}` twice) is captured again and checked equal after matching.
                re += "([^/]+)"
                groups.append(groups.contains(name) ? name + "#again" : name)
                rest = rest[rest.index(after: close)...]
            } else {
                re += NSRegularExpression.escapedPattern(for: String(c))
                rest = rest.dropFirst()
            }
        }
        if niftiEnding { re += "\\.nii(?:\\.gz)?" }
        re += "$"
        do {
            regex = try NSRegularExpression(pattern: re)
        } catch {
            throw ConversionError.invalidOption("pattern '\(text)' is not usable: \(error)")
        }
        self.groups = groups
    }

    /// The placeholders this pattern captures.
    public var placeholders: Set<String> { Set(groups.filter { !$0.hasSuffix("#again") }) }

    /// The captured placeholders when `relativePath` matches, else nil.
    public func match(_ relativePath: String) -> [String: String]? {
        let ns = relativePath as NSString
        guard let m = regex.firstMatch(in: relativePath, range: NSRange(location: 0, length: ns.length)) else { return nil }
        var out: [String: String] = [:]
        for (i, name) in groups.enumerated() {
            let value = ns.substring(with: m.range(at: i + 1))
            if name.hasSuffix("#again") {
                if out[String(name.dropLast(6))] != value { return nil }
            } else {
                out[name] = value
            }
        }
        return out
    }

    /// Whether the pattern's last component names a NIfTI file (and so may end in .nii or .nii.gz).
    public var isNIfTI: Bool { text.hasSuffix(".nii") || text.hasSuffix(".nii.gz") }
}

/// Every path below `root`, relative to it, sorted, split into files and folders. Symbolic links are
/// followed (datasets often live elsewhere and are linked in); a folder reached twice through links is
/// listed once. Hidden entries (names starting with '.') are skipped: macOS and unzip leave
/// `._x.nii.gz` and `.DS_Store` behind.
struct SourceTree {
    var files: [String] = []
    var folders: [String] = []

    init(root: String) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw ConversionError.invalidOption("source folder '\(root)' does not exist or is not a folder")
        }
        var seen = Set<String>()
        func walk(_ folder: String, _ relative: String) throws {
            guard seen.insert(URL(fileURLWithPath: folder).resolvingSymlinksInPath().path).inserted else { return }
            let names: [String]
            do { names = try fm.contentsOfDirectory(atPath: folder) } catch {
                throw ConversionError.invalidOption("cannot list '\(folder)': \(error.localizedDescription)")
            }
            for name in names.sorted() where !name.hasPrefix(".") {
                let full = folder + "/" + name, rel = relative.isEmpty ? name : relative + "/" + name
                var dir: ObjCBool = false
                guard fm.fileExists(atPath: full, isDirectory: &dir) else { continue }   // a dangling link
                if dir.boolValue {
                    folders.append(rel)
                    try walk(full, rel)
                } else {
                    files.append(rel)
                }
            }
        }
        try walk(root, "")
        files.sort()
        folders.sort()
    }
}
