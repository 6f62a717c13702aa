import Foundation
import SafeTensors
import Tensor

/// Checkpoints as a directory that PyTorch can read with safetensors.torch.load_file:
///   model.safetensors      every parameter under its PyTorch name (F32); metadata "config" = config JSON
///   optimizer.safetensors  per parameter "state.<name>.exp_avg", "state.<name>.exp_avg_sq",
///                          "state.<name>.step" (F32 scalar); metadata lr, betas, eps, weight_decay
///   config.json            the DynUNetConfiguration
/// `model.safetensors` alone loads into MONAI's DynUNet with load_state_dict (and back with `loadWeights`).
public enum Checkpoint {
    public static let modelFile = "model.safetensors"
    public static let optimizerFile = "optimizer.safetensors"
    public static let configFile = "config.json"

    /// Writes the network (and optimiser state) into `directory`, creating it; each file goes to a
    /// temporary name first and is renamed into place. `metadata` is added to model.safetensors.
    public static func save(_ net: DynUNet, optimizer: AdamW? = nil, to directory: String, metadata: [String: String] = [:]) throws {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw NetworkError.checkpointUnreadable(path: directory, reason: "cannot create directory: \(error.localizedDescription)")
        }
        let configJSON = try net.configuration.jsonData()
        let params = net.parameters
        var meta = metadata
        meta["config"] = String(decoding: configJSON, as: UTF8.self)
        meta["format"] = "salt DynUNet checkpoint 1"
        try SafeTensorsFile.writeF32(params.map { SafeTensorsFloatArray(name: $0.name, shape: $0.shape, values: UnsafeBufferPointer($0.value.buffer)) },
                                     metadata: meta, to: directory + "/" + modelFile)
        if let optimizer {
            var arrays: [SafeTensorsFloatArray] = []
            var steps: [Tensor] = []   // kept alive until written
            for p in params {
                guard let s = optimizer.state[p.name] else { continue }
                let step = Tensor(shape: [], values: [Float(s.step)])
                steps.append(step)
                arrays.append(SafeTensorsFloatArray(name: "state.\(p.name).exp_avg", shape: p.shape, values: UnsafeBufferPointer(s.exponentialAverage.buffer)))
                arrays.append(SafeTensorsFloatArray(name: "state.\(p.name).exp_avg_sq", shape: p.shape, values: UnsafeBufferPointer(s.exponentialAverageSquared.buffer)))
                arrays.append(SafeTensorsFloatArray(name: "state.\(p.name).step", shape: [], values: UnsafeBufferPointer(step.buffer)))
            }
            let om: [String: String] = ["lr": "\(optimizer.learningRate)", "betas": "[\(optimizer.beta1), \(optimizer.beta2)]",
                                        "eps": "\(optimizer.epsilon)", "weight_decay": "\(optimizer.weightDecay)"]
            try SafeTensorsFile.writeF32(arrays, metadata: om, to: directory + "/" + optimizerFile)
            withExtendedLifetime(steps) {}
        }
        let configPath = directory + "/" + configFile, temporary = directory + "/." + configFile + ".tmp"
        do {
            try configJSON.write(to: URL(fileURLWithPath: temporary))
            if FileManager.default.fileExists(atPath: configPath) { try FileManager.default.removeItem(atPath: configPath) }
            try FileManager.default.moveItem(atPath: temporary, toPath: configPath)
        } catch {
            throw NetworkError.checkpointUnreadable(path: configPath, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads config.json of a checkpoint directory.
    public static func configuration(in directory: String) throws -> DynUNetConfiguration {
        let path = directory + "/" + configFile
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NetworkError.checkpointUnreadable(path: path, reason: "missing or not readable")
        }
        return try DynUNetConfiguration.from(jsonData: data, path: path)
    }

    /// Builds the network of a checkpoint directory with its weights, and its optimiser when saved.
    public static func load(from directory: String) throws -> (network: DynUNet, optimizer: AdamW?) {
        let net = DynUNet(try configuration(in: directory), seed: 0)
        try loadWeights(into: net, from: directory + "/" + modelFile)
        let optimizerPath = directory + "/" + optimizerFile
        guard FileManager.default.fileExists(atPath: optimizerPath) else { return (net, nil) }
        return (net, try loadOptimizer(for: net, from: optimizerPath))
    }

    /// Copies every parameter from a safetensors file of PyTorch names (salt's or one written from
    /// MONAI's `state_dict()`); every name must be present with the right shape. Extra tensors are ignored.
    public static func loadWeights(into net: DynUNet, from path: String) throws {
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(contentsOf: path) } catch {
            throw NetworkError.checkpointUnreadable(path: path, reason: "\(error)")
        }
        for p in net.parameters {
            guard let t = file[p.name] else { throw NetworkError.checkpointMissingTensor(path: path, name: p.name) }
            guard t.shape == p.shape else { throw NetworkError.checkpointShapeMismatch(path: path, name: p.name, expected: p.shape, found: t.shape) }
            for i in 0..<p.value.count { p.value.storage[i] = Float(t.values[i]) }
        }
    }

    static func loadOptimizer(for net: DynUNet, from path: String) throws -> AdamW {
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(contentsOf: path) } catch {
            throw NetworkError.checkpointUnreadable(path: path, reason: "\(error)")
        }
        func number(_ key: String, _ fallback: Double) -> Double { file.metadata[key].flatMap(Double.init) ?? fallback }
        let betas = (file.metadata["betas"] ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
            .split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        let opt = AdamW(learningRate: number("lr", 1e-3), beta1: betas.count == 2 ? betas[0] : 0.9, beta2: betas.count == 2 ? betas[1] : 0.999,
                        epsilon: number("eps", 1e-8), weightDecay: number("weight_decay", 1e-2))
        for p in net.parameters {
            guard let m = file["state.\(p.name).exp_avg"] else { continue }
            guard let v = file["state.\(p.name).exp_avg_sq"], let step = file["state.\(p.name).step"] else {
                throw NetworkError.checkpointMissingTensor(path: path, name: "state.\(p.name).exp_avg_sq / .step")
            }
            guard m.shape == p.shape, v.shape == p.shape else {
                throw NetworkError.checkpointShapeMismatch(path: path, name: "state.\(p.name)", expected: p.shape, found: m.shape)
            }
            opt.setState(AdamW.State(exponentialAverage: Tensor(shape: p.shape, values: m.floats),
                                     exponentialAverageSquared: Tensor(shape: p.shape, values: v.floats),
                                     step: Int(step.values.first ?? 0)), for: p.name)
        }
        return opt
    }
}
