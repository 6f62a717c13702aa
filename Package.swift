// swift-tools-version:6.0
// salt: hierarchical (label-tree) segmentation of CT scans, as a declarative pipeline runner.
// Layering (see README "Code map"): the runner side (YAML -> Pipeline -> Runner) never imports the
// compute side (Tensor -> Labels -> Network; NIfTI; Segmentation; Conversion). SaltCLI joins them.
import PackageDescription

let package = Package(
    name: "salt",
    products: [
        .executable(name: "salt", targets: ["salt"]),
    ],
    targets: [
        // One door to each C library (Debian packages; see README "Install").
        .target(
            name: "CNIfTI",
            cSettings: [.unsafeFlags(["-I/usr/include/nifti"])],
            linkerSettings: [.linkedLibrary("nifti2"), .linkedLibrary("znz"), .linkedLibrary("z")]
        ),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]),

        // Compute side.
        .target(name: "Tensor", dependencies: ["COpenBLAS", "FastKernels"]),
        // SIMD kernels on raw pointers, compiled for AVX2+FMA (x86-64-v3); Tensor calls them only after
        // checking the CPU supports them, and falls back to its plain kernels otherwise.
        .target(name: "FastKernels", swiftSettings: [.unsafeFlags(["-target-cpu", "haswell"])]),
        .target(name: "SafeTensors"),
        .target(name: "Labels", dependencies: ["Tensor"]),
        .target(name: "Network", dependencies: ["Tensor", "SafeTensors"]),
        .target(name: "NIfTI", dependencies: ["CNIfTI"], swiftSettings: niftiFlags),
        .target(name: "Segmentation", dependencies: ["NIfTI", "Tensor", "Labels", "Network", "SafeTensors"]),
        .target(name: "Conversion", dependencies: ["NIfTI", "Labels", "YAML", "CZlib"]),

        // Runner side.
        .target(name: "YAML", dependencies: ["CYAML"]),
        .target(name: "Pipeline", dependencies: ["YAML"]),
        .target(name: "Runner", dependencies: ["Pipeline", "CXXHash"]),

        // Commands and the executable.
        .target(
            name: "SaltCLI",
            dependencies: ["NIfTI", "Tensor", "Labels", "Network", "Segmentation", "Conversion", "YAML", "Pipeline", "Runner", "SafeTensors"],
            swiftSettings: niftiFlags
        ),
        .executableTarget(name: "salt", dependencies: ["SaltCLI"]),

        // Tests. TestSupport finds ../shared (golden values, real data) and reads fixtures.
        .target(name: "TestSupport", dependencies: ["SafeTensors"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "FastKernels", "TestSupport"]),
        .testTarget(name: "LabelsTests", dependencies: ["Labels", "Tensor", "TestSupport"]),
        .testTarget(name: "NetworkTests", dependencies: ["Network", "Tensor", "Labels", "SafeTensors", "TestSupport"]),
        .testTarget(name: "NIfTITests", dependencies: ["NIfTI", "TestSupport"], swiftSettings: niftiFlags),
        .testTarget(name: "SegmentationTests", dependencies: ["Segmentation", "NIfTI", "Labels", "Network", "Tensor", "TestSupport"], swiftSettings: niftiFlags),
        .testTarget(name: "ConversionTests", dependencies: ["Conversion", "NIfTI", "Labels", "TestSupport"], swiftSettings: niftiFlags),
        .testTarget(name: "YAMLTests", dependencies: ["YAML", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "YAML", "TestSupport"]),
        .testTarget(name: "RunnerTests", dependencies: ["Runner", "Pipeline", "TestSupport"]),
        .testTarget(name: "SaltCLITests", dependencies: ["SaltCLI", "NIfTI", "TestSupport"], swiftSettings: niftiFlags),
    ],
    swiftLanguageModes: [.v5]
)

/// Importing CNIfTI from Swift needs the same include path as compiling it (nifti2_io.h includes <znzlib.h>).
var niftiFlags: [SwiftSetting] { [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])] }
