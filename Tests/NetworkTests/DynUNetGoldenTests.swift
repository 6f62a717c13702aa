import Foundation
import Network
import SafeTensors
import Tensor
import Testing
import TestSupport

/// ../shared/golden/dynunet: MONAI's DynUNet in float64 (PyTorch), compared within 1e-3 of each tensor's
/// largest magnitude: output, every parameter gradient, the input gradient, and one AdamW step.
@Suite struct DynUNetGoldenTests {
    @Test func forwardBackwardAndAdamWMatchPyTorch() throws {
        let file = try Shared.goldenTensors("dynunet.safetensors")
        let net = try Golden.network(file)

        // Names: exactly PyTorch's named_parameters().
        let goldenNames = Set(file.names.filter { $0.hasPrefix("param.") }.map { String($0.dropFirst(6)) })
        #expect(Set(net.parameters.map(\.name)) == goldenNames)

        let x = Golden.tensor(try file.tensor("input"))
        let y = net.forward(x, training: true)
        #expect(Golden.difference(y, try file.tensor("output"), "output") < 1e-3)

        let gx = net.backward(Golden.tensor(try file.tensor("upstream")), needInputGradient: true)!
        #expect(Golden.difference(gx, try file.tensor("grad_input"), "grad input") < 1e-3)
        var worst = 0.0
        for p in net.parameters {
            let d = Golden.difference(p.gradient!, try file.tensor("grad." + p.name), "grad " + p.name)
            worst = max(worst, d)
            #expect(d < 1e-3, "gradient of \(p.name)")
        }
        print("largest parameter-gradient difference \(worst)")

        let adam = AdamW(learningRate: 1e-2, weightDecay: 1e-2)
        adam.step(net.parameters)
        var worstStep = 0.0
        for p in net.parameters {
            let d = Golden.difference(p.value, try file.tensor("after_adamw." + p.name), "after AdamW " + p.name)
            worstStep = max(worstStep, d)
            #expect(d < 1e-3, "parameter \(p.name) after one AdamW step")
        }
        print("largest after-AdamW difference \(worstStep)")
    }
}
