// The merged label tree: every node except the root is a class. Built from paths (each prefix of a path
// is a node), ordered like SALT (`LabelTree.optimize`: Python's sort of tuples of strings), so class
// indices equal the reference's. Shapes: `adjacency` and `reachability` are (C+1) x (C+1) with the root
// as row/column 0; everything else is indexed by class 0..<C.

/// One softmax group: the children of `parent` (-1 = the root), in class order.
public struct SiblingGroup: Sendable, Equatable {
    public var parent: Int
    public var members: [Int]
}

/// A label tree with SALT's class order.
public struct LabelTree: Sendable, Equatable {
    /// Path from the root of each class (root excluded), in class order.
    public let paths: [[String]]
    /// Classes added by `tree-additional-labels.txt` ("sink" nodes), ascending.
    public let sinks: [Int]
    /// Parent class of each class, -1 for children of the root.
    public let parent: [Int]
    /// Children of each class, ascending.
    public let children: [[Int]]
    /// Children of the root, ascending.
    public let rootChildren: [Int]
    /// Classes without children, ascending (SALT's `leaf_indices` minus one).
    public let leaves: [Int]
    /// Softmax groups ordered by parent (root group first), so parents are final before their children.
    public let groups: [SiblingGroup]
    /// Classes on the path to each class, root-most first, the class itself last.
    public let ancestorsOrSelf: [[Int]]
    /// Index of each class within its softmax group.
    public let group: [Int]

    private let indexByName: [String: Int]

    /// Number of classes (nodes except the root).
    public var count: Int { paths.count }

    /// Full path names, parts joined by "," (the form of tree-labels.txt lines).
    public var classNames: [String] { paths.map { $0.joined(separator: ",") } }

    /// The last part of each path (e.g. "kidney_left").
    public var shortNames: [String] { paths.map { $0.last! } }

    public var leafNames: [String] { leaves.map { paths[$0].joined(separator: ",") } }

    /// Builds the tree holding every prefix of `paths` and `sinks`. Throws `singleChildNodes` when a node
    /// (not the root) has exactly one child, and `tooManyClasses` beyond 255 classes.
    public init(paths input: [[String]], sinks sinkPaths: [[String]] = [], datasets: [String] = []) throws {
        var nodes = Set<[String]>()
        for p in input + sinkPaths {
            for i in 1...p.count { nodes.insert(Array(p[..<i])) }
        }
        let sorted = nodes.sorted(by: LabelTree.pythonTupleLess)
        guard sorted.count <= 255 else { throw LabelError.tooManyClasses(count: sorted.count) }
        var index: [String: Int] = [:]
        for (i, p) in sorted.enumerated() { index[p.joined(separator: ",")] = i }
        let parent = sorted.map { p in p.count == 1 ? -1 : index[p.dropLast().joined(separator: ",")]! }
        var children = Array(repeating: [Int](), count: sorted.count)
        var rootChildren: [Int] = []
        for (c, p) in parent.enumerated() {
            if p < 0 { rootChildren.append(c) } else { children[p].append(c) }
        }
        let single = children.indices.filter { children[$0].count == 1 }
        if !single.isEmpty {
            throw LabelError.singleChildNodes(nodes: single.map { sorted[$0].joined(separator: ",") }, datasets: datasets)
        }
        self.paths = sorted
        self.indexByName = index
        self.parent = parent
        self.children = children
        self.rootChildren = rootChildren
        self.leaves = children.indices.filter { children[$0].isEmpty }
        self.sinks = Set(sinkPaths.map { index[$0.joined(separator: ",")]! }).sorted()
        var groups = [SiblingGroup(parent: -1, members: rootChildren)]
        for c in children.indices where !children[c].isEmpty { groups.append(SiblingGroup(parent: c, members: children[c])) }
        self.groups = groups
        var groupOf = Array(repeating: 0, count: sorted.count)
        for (g, grp) in groups.enumerated() { for m in grp.members { groupOf[m] = g } }
        self.group = groupOf
        var anc: [[Int]] = []
        for c in sorted.indices {
            // Parents come before children, so the parent's list is ready.
            anc.append(parent[c] < 0 ? [c] : anc[parent[c]] + [c])
        }
        self.ancestorsOrSelf = anc
    }

    /// Class index of a path, or nil.
    public func index(of path: [String]) -> Int? { indexByName[path.joined(separator: ",")] }

    /// Class index of a comma-joined path ("body,abdominal_cavity,liver"), or nil.
    public func index(ofName name: String) -> Int? { indexByName[name] }

    /// True when `node` lies in the subtree of `ancestor` (or is it).
    public func isInSubtree(_ node: Int, of ancestor: Int) -> Bool {
        var c = node
        while c >= 0 {
            if c == ancestor { return true }
            c = parent[c]
        }
        return false
    }

    /// Leaves of the subtree of `node` (the node itself when it is a leaf).
    public func leaves(under node: Int) -> [Int] { leaves.filter { isInSubtree($0, of: node) } }

    /// Adjacency matrix with the root as row/column 0: a[p+1][c+1] = 1 when p is c's parent.
    public var adjacency: [[UInt8]] {
        var a = Array(repeating: Array(repeating: UInt8(0), count: count + 1), count: count + 1)
        for c in 0..<count { a[parent[c] + 1][c + 1] = 1 }
        return a
    }

    /// Reachability (root row/column 0): r[a][b] = 1 when b is a or a descendant of a.
    public var reachability: [[UInt8]] {
        var r = Array(repeating: Array(repeating: UInt8(0), count: count + 1), count: count + 1)
        for b in 0...count {
            r[0][b] = 1
            if b > 0 { for a in ancestorsOrSelf[b - 1] { r[a + 1][b] = 1 } }
        }
        return r
    }

    /// Annotated-class mask of a dataset whose lines name `annotatedClasses` explicitly: those classes,
    /// plus every parent all of whose children are annotated (repeated up the tree). The root is not a
    /// class, so a fully annotated root group marks nothing further (SALT crashes there; we do not).
    public func annotatedMask(explicit annotatedClasses: [Int]) -> [Bool] {
        var mask = Array(repeating: false, count: count)
        for c in annotatedClasses { mask[c] = true }
        // Children have larger indices than their parent, so one pass from the deepest index upward
        // settles every subtree before its parent is looked at.
        for p in stride(from: count - 1, through: 0, by: -1) where !children[p].isEmpty && !mask[p] {
            if children[p].allSatisfy({ mask[$0] }) { mask[p] = true }
        }
        return mask
    }

    /// Python's ordering of tuples of str: element-wise by Unicode code points, a prefix first.
    static func pythonTupleLess(_ a: [String], _ b: [String]) -> Bool {
        for (x, y) in zip(a, b) where x != y {
            return x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars) { $0.value < $1.value }
        }
        return a.count < b.count
    }
}
