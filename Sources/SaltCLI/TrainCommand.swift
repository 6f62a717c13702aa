// `salt train`: SALT training over every dataset under a data root.
import Foundation
import Segmentation

enum TrainCommand: Command {
    static let name = "train"
    static let summary = "Train a label-tree segmentation network (SALT) on datasets in SALT's layout"
    static let help = """
    Usage: salt train --data-dir D --output-dir O [--epochs N] [--steps-per-epoch N] [--batch-size N]
                      [--patch a,b,c] [--spacing x,y,z] [--filters f1,f2,...] [--lr X] [--sink-weight X]
                      [--slab-probability X] [--intensity-scale X] [--air-padding] [--val-every N] [--seed N] [--resume] [--resume-from D] [--intensity ct|zscore|clip:LOW:HIGH] [--cache-dir C]

    Reads every dataset under D (folders with tree-labels.txt; <dataset>/train and <dataset>/val with
    images/ and labels/), merges their trees, prepares each case (LPI, the model spacing, classes, CT
    intensities clipped to [-1024, 1024] and scaled to [0, 1], padded to the patch; cached under
    --cache-dir, default $SALT_CACHE_DIR or ~/.cache/salt/preprocessed), and trains a DynUNet with the tree
    softmax and the SALT loss: AdamW with a cosine schedule, patches a third of them centred on a
    structure, zoom 0.8-1.2 and rotation +-20 degrees in-plane. Validates by sliding window every N
    epochs (Dice per tree node), keeps O/best and O/latest, writes O/metrics.jsonl and O/settings.json.

    Options (defaults in brackets):
      --epochs N [50]  --steps-per-epoch N [250]  --batch-size N [2]
      --patch a,b,c [96,96,96]  --spacing x,y,z mm [1.5,1.5,1.5]  --filters f1,f2,... [min(32*2^i, 320)]
      --lr X [0.001]  --sink-weight X [0.1]  --val-every N [1]  --seed N [0]
      --slab-probability X [0]  fraction of patches cut to a thin axial slab (1/8 to 1/2 of the patch
                      depth) with air around it, for models that must predict scans only a few cm thick
      --intensity-scale X [0]   multiply each patch's normalised intensities by a factor in [1-X, 1+X]
                      (nnU-Net's brightness augmentation; for CT about air: 0.05 moves soft tissue ~54 HU)
      --air-padding   patch voxels outside the scan are air and learnt as background (CT), so windows
                      that are mostly air, around a wide or thin scan, are predicted as background
      --resume        continue from O/latest (same settings and seed give the same model as an unbroken run)
      --resume-from D continue from D/latest of another training folder (e.g. an earlier stage's output)

    Example:
      salt train --data-dir data --output-dir runs/ts --epochs 20 --patch 64,64,64 --spacing 3,3,3 --filters 8,16,32,64
    """

    static func run(_ arguments: inout Arguments) throws -> Int32 {
        guard let data = try arguments.option("--data-dir") else { throw UsageError("salt train: --data-dir D is required") }
        guard let output = try arguments.option("--output-dir") else { throw UsageError("salt train: --output-dir O is required") }
        var o = TrainingOptions(dataDirectory: URL(fileURLWithPath: data), outputDirectory: URL(fileURLWithPath: output))
        o.epochs = try arguments.int("--epochs", default: o.epochs)
        o.stepsPerEpoch = try arguments.int("--steps-per-epoch", default: o.stepsPerEpoch)
        o.batchSize = try arguments.int("--batch-size", default: o.batchSize)
        o.patch = try arguments.ints("--patch", default: o.patch)
        o.spacing = try arguments.doubles("--spacing", default: o.spacing)
        let filters = try arguments.ints("--filters", default: [])
        o.filters = filters.isEmpty ? nil : filters
        o.learningRate = try arguments.double("--lr", default: o.learningRate)
        o.sinkWeight = try arguments.double("--sink-weight", default: o.sinkWeight)
        o.slabProbability = try arguments.double("--slab-probability", default: o.slabProbability)
        o.intensityScale = try arguments.double("--intensity-scale", default: o.intensityScale)
        o.airPadding = arguments.flag("--air-padding")
        o.validateEvery = try arguments.int("--val-every", default: o.validateEvery)
        let seed = try arguments.int("--seed", default: 0)
        guard seed >= 0 else { throw UsageError("salt train: --seed must be 0 or more, got \(seed)") }
        o.seed = UInt64(seed)
        o.resume = arguments.flag("--resume")
        if let from = try arguments.option("--resume-from") { o.resumeFrom = URL(fileURLWithPath: from) }
        if let name = try arguments.option("--intensity") {
            guard let i = IntensityNormalization(name: name) else {
                throw UsageError("salt train: --intensity must be ct, zscore or clip:LOW:HIGH, got '\(name)'")
            }
            o.intensity = i
        }
        if let cache = try arguments.option("--cache-dir") { o.cacheDirectory = URL(fileURLWithPath: cache) }
        try arguments.finish()
        o.saltVersion = Salt.version
        let records = try Trainer.run(o)
        if let last = records.last {
            print(String(format: "train: %d epoch(s), last loss %.4f -> %@", records.count, last.loss, output))
        }
        return 0
    }
}
