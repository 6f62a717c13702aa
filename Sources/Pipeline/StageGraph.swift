// The stage graph: who reads whose output (a dependency equal to, inside, or containing another stage's
// output) plus `needs:`. Building it rejects a cycle (naming its stages), an output written by two stages,
// and a dependency that no stage writes and that does not exist.

import YAML
public struct StageGraph: Sendable {
    /// upstream[i]: the stages stage i waits for, sorted.
    public var upstream: [[Int]]
    /// downstream[i]: the stages waiting for stage i, sorted.
    public var downstream: [[Int]]
    /// A topological order; among stages free at the same time, file order.
    public var order: [Int]
    /// producers[i][j]: the stages writing (part of) stage i's dependency j, empty for a source file.
    public var producers: [[[Int]]]

    /// Stage `i` and everything it waits for, directly or not.
    public func upstreamClosure(of i: Int) -> Set<Int> { closure(i, upstream) }
    /// Stage `i` and everything waiting for it.
    public func downstreamClosure(of i: Int) -> Set<Int> { closure(i, downstream) }

    private func closure(_ start: Int, _ edges: [[Int]]) -> Set<Int> {
        var seen: Set<Int> = [start]
        var stack = [start]
        while let i = stack.popLast() {
            for j in edges[i] where seen.insert(j).inserted { stack.append(j) }
        }
        return seen
    }

    static func build(stages: [Stage], root: String, fileSystem: any FileSystem) throws -> StageGraph {
        let n = stages.count
        // Outputs: each path one producer, no output inside another stage's output.
        var outputs: [(path: String, stage: Int, mark: SourceMark)] = []
        for (i, s) in stages.enumerated() {
            for o in s.outs {
                for other in outputs where other.stage != i && WorkspacePath.overlaps(other.path, o.path) {
                    throw PipelineError.duplicateOutput(o.path == other.path ? o.path : "\(other.path)' and '\(o.path)", o.mark, stages: [stages[other.stage].name, s.name])
                }
                outputs.append((o.path, i, o.mark))
            }
        }
        var exact: [String: Int] = [:]
        for o in outputs { exact[o.path] = o.stage }

        var upstream = Array(repeating: Set<Int>(), count: n)
        var producers: [[[Int]]] = []
        for (i, s) in stages.enumerated() {
            var perDep: [[Int]] = []
            for d in s.deps {
                var found: [Int] = []
                if let p = exact[d.path] {
                    found = [p]
                } else {
                    found = Array(Set(outputs.filter { WorkspacePath.overlaps($0.path, d.path) }.map(\.stage))).sorted()
                }
                if found.contains(i) {
                    throw PipelineError.cycle([s.name, s.name], d.mark)
                }
                if found.isEmpty {
                    let absolute = d.path.hasPrefix("/") ? d.path : root + "/" + d.path
                    if !fileSystem.exists(absolute) { throw PipelineError.missingDependency(d.path, d.mark, stage: s.name) }
                }
                upstream[i].formUnion(found)
                perDep.append(found)
            }
            producers.append(perDep)
            for need in s.needs {
                guard let j = stages.firstIndex(where: { $0.name == need }) else {
                    throw PipelineError.unknownStage(need, mark: s.mark, known: stages.map(\.name))
                }
                if j == i { throw PipelineError.cycle([s.name, s.name], s.mark) }
                upstream[i].insert(j)
            }
        }
        var downstream = Array(repeating: [Int](), count: n)
        for i in 0..<n { for j in upstream[i] { downstream[j].append(i) } }
        for i in 0..<n { downstream[i].sort() }

        // Kahn's algorithm, smallest file index first among ready stages.
        var remaining = upstream.map(\.count)
        var ready = (0..<n).filter { remaining[$0] == 0 }
        var order: [Int] = []
        while !ready.isEmpty {
            let k = ready.indices.min { ready[$0] < ready[$1] }!
            let i = ready.remove(at: k)
            order.append(i)
            for j in downstream[i] {
                remaining[j] -= 1
                if remaining[j] == 0 { ready.append(j) }
            }
        }
        if order.count < n {
            let cycle = findCycle(among: Set((0..<n).filter { remaining[$0] > 0 }), upstream: upstream)
            throw PipelineError.cycle(cycle.map { stages[$0].name }, stages[cycle[0]].mark)
        }
        return StageGraph(upstream: upstream.map { $0.sorted() }, downstream: downstream, order: order, producers: producers)
    }

    /// One cycle among stages that Kahn's algorithm could not order, as a closed walk (first == last).
    static func findCycle(among left: Set<Int>, upstream: [Set<Int>]) -> [Int] {
        // Every stage left has an upstream stage that is also left; walk until a stage repeats.
        var path: [Int] = []
        var position: [Int: Int] = [:]
        var i = left.min()!
        while position[i] == nil {
            position[i] = path.count
            path.append(i)
            i = upstream[i].filter { left.contains($0) }.min()!
        }
        // The walk goes downstream -> upstream; reverse so the cycle reads in data-flow order.
        var cycle = Array(Array(path[position[i]!...]).reversed())
        // Start at the stage that comes first in the file, so the message is the same on every run.
        let start = cycle.indices.min { cycle[$0] < cycle[$1] }!
        cycle = Array(cycle[start...] + cycle[..<start])
        return cycle + [cycle[0]]
    }
}
