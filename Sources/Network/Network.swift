// Network: layers with forward and backward passes, MONAI's DynUNet (residual blocks, instance norm,
// leaky ReLU, transposed-conv upsampling), AdamW, learning-rate schedules and safetensors checkpoints
// whose names are PyTorch's `named_parameters()` of MONAI's DynUNet. Imports Tensor and SafeTensors.
//
// Layers/    one operation each with its parameters and what its backward needs (Convolution, ...)
// Blocks/    MONAI's UnetResBlock, UnetBasicBlock, UnetUpBlock, UnetOutBlock
// DynUNet    assembly from a DynUNetConfiguration (kernel/stride plan from patch size and spacing)
// Training/  AdamW, CosineSchedule, gradient clipping, Checkpoint
import Foundation

/// Errors a user can cause (bad configuration, unreadable or mismatched checkpoints).
public enum NetworkError: Error, CustomStringConvertible {
    case invalidPatch(patch: [Int], axis: Int, reason: String)
    case invalidConfiguration(String)
    case checkpointMissingTensor(path: String, name: String)
    case checkpointShapeMismatch(path: String, name: String, expected: [Int], found: [Int])
    case checkpointUnreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidPatch(patch, axis, reason):
            return "patch size \(patch) is not supported: axis \(axis) \(reason); choose a size divisible by the network's total stride along that axis"
        case let .invalidConfiguration(reason):
            return "invalid network configuration: \(reason)"
        case let .checkpointMissingTensor(path, name):
            return "\(path): checkpoint has no tensor '\(name)'; was it written for another network configuration?"
        case let .checkpointShapeMismatch(path, name, expected, found):
            return "\(path): tensor '\(name)' has shape \(found) but the network expects \(expected); check filters, kernels and channels in the config"
        case let .checkpointUnreadable(path, reason):
            return "\(path): cannot read checkpoint: \(reason)"
        }
    }
}
