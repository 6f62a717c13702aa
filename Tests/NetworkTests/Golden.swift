// Loading golden fixtures into networks, and comparisons that print the largest difference.
import Foundation
import Network
import SafeTensors
import Tensor
import TestSupport

enum Golden {
    static func tensor(_ t: SafeTensor) -> Tensor { Tensor(shape: t.shape, values: t.floats) }

    /// The network of the dynunet / sliding_window fixtures (its metadata JSON) with the fixture's weights.
    static func network(_ file: SafeTensorsFile) throws -> DynUNet {
        let meta = try JSONSerialization.jsonObject(with: Data(file.metadata["json"]!.utf8)) as! [String: Any]
        let config = try DynUNetConfiguration(
            inChannels: 1, outChannels: meta["out_channels"] as! Int,
            kernels: meta["kernels"] as! [[Int]], strides: meta["strides"] as! [[Int]], filters: meta["filters"] as? [Int])
        let net = DynUNet(config, seed: 1)
        for p in net.parameters {
            let t = try file.tensor("param." + p.name)
            precondition(t.shape == p.shape, "\(p.name): golden \(t.shape) vs \(p.shape)")
            p.value.storage.update(from: t.floats, count: p.value.count)
        }
        return net
    }

    /// maxScaledDifference of a tensor against a golden array, printed with a label.
    static func difference(_ a: Tensor, _ b: SafeTensor, _ label: String) -> Double {
        precondition(a.shape == b.shape, "\(label): shape \(a.shape) vs golden \(b.shape)")
        let d = maxScaledDifference(a.array.map(Double.init), b.values)
        print(String(format: "%-55@ largest scaled difference %.3g", label as NSString, d))
        return d
    }
}
