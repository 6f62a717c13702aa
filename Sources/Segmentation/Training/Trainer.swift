// `salt train`: the SALT training loop over every dataset under a data root, with one merged label tree.
// Layout of the output folder:
//   settings.json   ModelSettings without weights (what export and prediction need)
//   tree.json       the merged tree
//   latest/         checkpoint after the last finished epoch (weights, AdamW state, config) + state.json
//   best/           checkpoint with the best validation score so far
//   metrics.jsonl   one JSON object per epoch: losses, learning rate, seconds, validation Dice per node
import Foundation
import Labels
import Network
import Tensor

public struct TrainingOptions: Sendable {
    public var dataDirectory: URL
    public var outputDirectory: URL
    public var epochs = 50
    public var stepsPerEpoch = 250
    public var batchSize = 2
    public var patch = [96, 96, 96]
    public var spacing = [1.5, 1.5, 1.5]
    /// Channels per level; nil = min(32 * 2^i, 320).
    public var filters: [Int]? = nil
    public var learningRate = 1e-3
    public var sinkWeight = 0.1
    /// Fraction of patches cut to a thin axial slab in air (PatchSampler.slabProbability); 0 = SALT.
    public var slabProbability = 0.0
    /// Multiplicative brightness range (PatchSampler.intensityScale); 0 = SALT (none).
    public var intensityScale = 0.0
    /// Patch voxels outside the scan are air labelled background (PatchSampler.paddingClass); false = SALT
    /// (ignored). CT only: for other modalities the padding value is not air.
    public var airPadding = false
    public var validateEvery = 1
    public var seed: UInt64 = 0
    public var resume = false
    /// Stop after this many epochs in total, as an interruption would (the schedule still spans `epochs`);
    /// a later run with `resume` continues. nil = run to `epochs`.
    public var stopAfterEpochs: Int? = nil
    /// Resume from another training folder's latest/ (e.g. an earlier pipeline stage's output) instead of
    /// this output folder's.
    public var resumeFrom: URL? = nil
    public var intensity: IntensityNormalization = .ct
    public var gradientClip = 12.0
    public var cacheDirectory: URL = PreparedCaseCache.defaultDirectory
    public var saltVersion = "unknown"

    public init(dataDirectory: URL, outputDirectory: URL) {
        self.dataDirectory = dataDirectory
        self.outputDirectory = outputDirectory
    }
}

/// One epoch's record (a line of metrics.jsonl).
public struct EpochRecord: Codable, Sendable {
    public var epoch: Int
    public var steps: Int
    public var loss: Double
    public var ce: Double
    public var dice: Double
    public var sinkDice: Double
    public var learningRate: Double
    public var seconds: Double
    /// Mean validation Dice over cases and annotated nodes; nil when not validated this epoch.
    public var validationDice: Double?
    /// Node name -> mean validation Dice over the cases that define it.
    public var validationDicePerNode: [String: Double]?
    public var best: Bool
}

/// Where training stands (state.json in latest/): enough to resume exactly.
struct TrainingState: Codable {
    var epochsDone: Int
    var globalStep: Int
    var bestScore: Double?
    var bestEpoch: Int?
    var seed: UInt64
    var network: DynUNetConfiguration
    var records: [EpochRecord]
}

public enum Trainer {
    /// Trains; `log` gets progress lines. Returns every epoch's record.
    @discardableResult
    public static func run(_ o: TrainingOptions, log: (String) -> Void = { print($0) }) throws -> [EpochRecord] {
        guard o.epochs > 0, o.stepsPerEpoch > 0, o.batchSize > 0, o.validateEvery > 0 else {
            throw SegmentationError.invalidSetting(name: "--epochs/--steps-per-epoch/--batch-size/--val-every", detail: "each must be at least 1")
        }
        guard (0...1).contains(o.slabProbability) else {
            throw SegmentationError.invalidSetting(name: "--slab-probability", detail: "must lie in [0, 1], got \(o.slabProbability)")
        }
        guard (0..<1).contains(o.intensityScale) else {
            throw SegmentationError.invalidSetting(name: "--intensity-scale", detail: "must lie in [0, 1), got \(o.intensityScale)")
        }
        if o.airPadding, case .zScore = o.intensity {
            throw SegmentationError.invalidSetting(name: "--air-padding", detail: "needs CT intensities (--intensity ct or clip:LOW:HIGH): with zscore the padding value is the image mean, not air")
        }
        guard o.patch.count == 3, o.spacing.count == 3, o.patch.allSatisfy({ $0 > 0 }), o.spacing.allSatisfy({ $0 > 0 }) else {
            throw SegmentationError.invalidSetting(name: "--patch/--spacing", detail: "need three positive values each, got \(o.patch) and \(o.spacing)")
        }
        let labelSet = try LabelSet.discover(root: o.dataDirectory)
        let tree = labelSet.tree
        let network = try DynUNetConfiguration(patch: o.patch, spacing: o.spacing, outChannels: tree.count, filters: o.filters)
        let background = tree.index(ofName: "background")
        var pre = PreprocessingSettings(spacing: o.spacing, intensity: o.intensity, patch: o.patch)
        if o.airPadding {
            guard let background else {
                throw SegmentationError.invalidSetting(name: "--air-padding", detail: "the tree has no class named 'background' to give padding")
            }
            pre.paddingClass = UInt8(background)
        }
        let settings = ModelSettings(saltVersion: o.saltVersion, network: network, tree: tree, spacing: o.spacing, patch: o.patch,
                                     intensity: o.intensity, datasets: labelSet.datasets.map(\.name))

        // Cases, prepared (or read from the cache).
        let cache = PreparedCaseCache(directory: o.cacheDirectory)
        func prepare(_ split: String) throws -> [PreparedCase] {
            var out: [PreparedCase] = []
            let all = labelSet.datasets.flatMap { d in (d.splits[split] ?? []).map { (d, $0) } }
            for (n, (dataset, c)) in all.enumerated() {
                guard let label = c.label else {
                    log("\(split) \(n + 1)/\(all.count) \(dataset.name)/\(NIfTIFiles.caseName(c.image)): no label file, skipped")
                    continue
                }
                let key = try cache.key(image: c.image, label: label, dataset: dataset, settings: pre)
                if let cached = cache.load(key: key) {
                    out.append(cached)
                    continue
                }
                let start = Date()
                let prepared = try Preprocessor.prepare(image: c.image, label: label, dataset: dataset, settings: pre)
                try cache.store(prepared, key: key)
                log(String(format: "prepare %@ %d/%d %@/%@: %@ voxels at %@ mm, %.1f s", split, n + 1, all.count, dataset.name, prepared.name,
                           prepared.shape.map(String.init).joined(separator: "x"), o.spacing.map { String($0) }.joined(separator: "x"),
                           Date().timeIntervalSince(start)))
                out.append(prepared)
            }
            return out
        }
        let training = try prepare("train")
        guard !training.isEmpty else {
            throw SegmentationError.noTrainingCases(root: o.dataDirectory.path,
                                                    detail: "no labelled case in any <dataset>/train/{images,labels}/ (datasets: \(labelSet.datasets.map(\.name).joined(separator: ", ")))")
        }
        let validation = try prepare("val")
        log("train: \(training.count) training and \(validation.count) validation case(s) from \(labelSet.datasets.count) dataset(s), \(tree.count) classes, patch \(o.patch), spacing \(o.spacing), filters \(network.filters)")

        let out = o.outputDirectory
        try AtomicFile.write(try settings.jsonData(), to: out.appendingPathComponent("settings.json"))
        try AtomicFile.write(try TreeFile.data(tree), to: out.appendingPathComponent(TreeFile.name))

        // Network and optimiser: fresh, or from latest/ when resuming.
        var net = DynUNet(network, seed: o.seed)
        var optimizer = AdamW(learningRate: o.learningRate)
        var state = TrainingState(epochsDone: 0, globalStep: 0, bestScore: nil, bestEpoch: nil, seed: o.seed, network: network, records: [])
        let latest = out.appendingPathComponent("latest"), best = out.appendingPathComponent("best")
        let stateURL = latest.appendingPathComponent("state.json")
        let source = o.resumeFrom.map { $0.appendingPathComponent("latest") } ?? latest
        let sourceState = source.appendingPathComponent("state.json")
        if o.resumeFrom != nil && !FileManager.default.fileExists(atPath: sourceState.path) {
            throw SegmentationError.missing(path: sourceState.path, what: "the checkpoint to resume from (a 'salt train' output folder)")
        }
        if o.resume || o.resumeFrom != nil {
            if FileManager.default.fileExists(atPath: sourceState.path) {
                let data: Data
                do { data = try Data(contentsOf: sourceState) } catch { throw SegmentationError.unreadable(path: sourceState.path, reason: error.localizedDescription) }
                do { state = try JSONDecoder().decode(TrainingState.self, from: data) } catch {
                    throw SegmentationError.unreadable(path: sourceState.path, reason: "\(error)")
                }
                guard state.network == network, state.seed == o.seed else {
                    throw SegmentationError.invalidSetting(name: "--resume", detail: "\(source.path) was trained with another network or seed; resume with the same --patch, --spacing, --filters and --seed, or train into a new --output-dir")
                }
                let loaded = try Checkpoint.load(from: source.path)
                net = loaded.network
                optimizer = loaded.optimizer ?? optimizer
                log("resume: \(state.epochsDone) epoch(s) done, step \(state.globalStep) (from \(source.path))")
            } else {
                log("resume: no checkpoint in \(latest.path) yet; starting from scratch")
            }
        }
        let model = SaltModel(settings: settings, tree: tree, network: net)
        let loss = SaltLoss(tree: tree, sinkWeight: o.sinkWeight)
        let schedule = CosineSchedule(initial: o.learningRate, totalSteps: o.epochs * o.stepsPerEpoch)
        var sampler = PatchSampler(patch: o.patch, cases: training, background: background, seed: o.seed)
        sampler.slabProbability = o.slabProbability
        sampler.intensityScale = o.intensityScale
        if let padding = pre.paddingClass { sampler.paddingClass = padding }
        var records = state.records
        let totalSteps = o.epochs * o.stepsPerEpoch
        var stepSeconds: [Double] = []
        let interactive = isatty(STDOUT_FILENO) != 0

        for epoch in state.epochsDone..<min(o.epochs, o.stopAfterEpochs ?? o.epochs) {
            // Each epoch's randomness comes from (seed, epoch) alone, so a resumed run repeats an unbroken one.
            var rng = SeededRandom(seed: o.seed).split(UInt64(epoch) &+ 1)
            let epochStart = Date()
            var sums = (loss: 0.0, ce: 0.0, dice: 0.0, sink: 0.0)
            var lr = o.learningRate
            for step in 0..<o.stepsPerEpoch {
                let t0 = Date()
                let (images, targets, caseIndices) = sampler.batch(o.batchSize, cases: training, rng: &rng)
                let logits = net.forward(images, training: true)
                let result = loss.compute(logits: logits, targets: targets, annotated: caseIndices.map { training[$0].annotated })
                net.backward(result.gradLogits!)
                _ = clipGradientNorm(net.parameters, maxNorm: o.gradientClip)
                lr = schedule.learningRate(atStep: state.globalStep)
                optimizer.learningRate = lr
                optimizer.step(net.parameters)
                net.zeroGradients()
                state.globalStep += 1
                func finite(_ x: Double) -> Double { x.isFinite ? x : 0 }
                sums.loss += finite(result.total); sums.ce += finite(result.ce); sums.dice += finite(result.dice); sums.sink += finite(result.sinkDice)
                stepSeconds.append(Date().timeIntervalSince(t0))
                let shown = interactive || step == 0 || (step + 1) % max(1, o.stepsPerEpoch / 5) == 0 || step + 1 == o.stepsPerEpoch
                if shown {
                    let recent = stepSeconds.suffix(20), perStep = recent.reduce(0, +) / Double(recent.count)
                    let remaining = Double(totalSteps - state.globalStep) * perStep
                    log(String(format: "epoch %d/%d step %d/%d loss %.4f (ce %.4f dice %.4f sink %.4f) lr %.2e %.2f s/step ETA %@",
                               epoch + 1, o.epochs, step + 1, o.stepsPerEpoch, result.total, result.ce, result.dice, result.sinkDice, lr,
                               perStep, duration(remaining)))
                }
            }
            let n = Double(o.stepsPerEpoch)
            var record = EpochRecord(epoch: epoch + 1, steps: o.stepsPerEpoch, loss: sums.loss / n, ce: sums.ce / n, dice: sums.dice / n,
                                     sinkDice: sums.sink / n, learningRate: lr, seconds: Date().timeIntervalSince(epochStart),
                                     validationDice: nil, validationDicePerNode: nil, best: false)
            let validate = !validation.isEmpty && ((epoch + 1) % o.validateEvery == 0 || epoch + 1 == o.epochs)
            var score: Double? = nil
            if validate {
                let (mean, perNode) = try validationDice(model: model, cases: validation, spacing: o.spacing)
                record.validationDice = mean
                record.validationDicePerNode = perNode
                score = mean
                log(String(format: "epoch %d/%d validation: mean Dice %.4f over %d case(s)", epoch + 1, o.epochs, mean ?? .nan, validation.count)
                    + perNode.keys.sorted().map { String(format: "\n  %@ %.4f", $0, perNode[$0]!) }.joined())
            } else if validation.isEmpty {
                score = -record.loss  // no validation cases: the lowest training loss counts as best
            }
            if let s = score, s.isFinite, state.bestScore == nil || s > state.bestScore! {
                state.bestScore = s
                state.bestEpoch = epoch + 1
                record.best = true
                try AtomicFile.replaceDirectory(best) { try Checkpoint.save(net, to: $0.path, metadata: ["epoch": "\(epoch + 1)", "score": "\(s)"]) }
            }
            records.append(record)
            state.records = records
            state.epochsDone = epoch + 1
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let stateData = try encoder.encode(state)
            try AtomicFile.replaceDirectory(latest) { dir in
                try Checkpoint.save(net, optimizer: optimizer, to: dir.path, metadata: ["epoch": "\(epoch + 1)"])
                try AtomicFile.write(stateData, to: dir.appendingPathComponent("state.json"))
            }
            let lines = try records.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n"
            try AtomicFile.write(lines, to: out.appendingPathComponent("metrics.jsonl"))
            log(String(format: "epoch %d/%d done: loss %.4f (ce %.4f dice %.4f sink %.4f) in %.1f s%@", epoch + 1, o.epochs, record.loss, record.ce,
                       record.dice, record.sinkDice, record.seconds, record.best ? ", best so far" : ""))
        }
        return records
    }

    /// Mean Dice over validation cases and the nodes each case's dataset annotates (background left out),
    /// by sliding window on the prepared (model-grid) images; and the mean per node.
    static func validationDice(model: SaltModel, cases: [PreparedCase], spacing: [Double]) throws -> (Double?, [String: Double]) {
        let tree = model.tree
        var perNode: [String: [Double]] = [:]
        var caseMeans: [Double] = []
        for c in cases {
            let image = VolumeLayout.tensor(c.image, shape: c.shape)
            let (tensorOrder, _) = try Predictor.classesAndChannels(image: image, model: model)
            let predicted = VolumeLayout.voxels(fromTensorOrder: tensorOrder, shape: c.shape)
            let nodes = c.annotated.indices.filter { c.annotated[$0] && tree.paths[$0] != ["background"] }
                .map { EvaluatedNode(index: $0, name: tree.classNames[$0], members: NodeMask.table(node: $0, tree: tree)) }
            let metrics = CaseEvaluation.evaluate(prediction: predicted, reference: c.classes, shape: c.shape, spacing: spacing,
                                                  nodes: nodes, surface: false)
            var dices: [Double] = []
            for (node, m) in zip(nodes, metrics) {
                guard let d = m.dice else { continue }
                perNode[node.name, default: []].append(d)
                dices.append(d)
            }
            if !dices.isEmpty { caseMeans.append(dices.reduce(0, +) / Double(dices.count)) }
        }
        let mean = caseMeans.isEmpty ? nil : caseMeans.reduce(0, +) / Double(caseMeans.count)
        return (mean, perNode.mapValues { $0.reduce(0, +) / Double($0.count) })
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--:--:--" }
        let s = Int(seconds.rounded())
        return String(format: "%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
    }
}
