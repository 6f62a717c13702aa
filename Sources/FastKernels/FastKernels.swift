// FastKernels: SIMD convolution kernels on raw float pointers, built for AVX2+FMA (`-target-cpu haswell`).
// Imports only Glibc (a mutex, /proc/cpuinfo), never Foundation or Tensor, and never spawns threads:
// callers pass a `ParallelFor` that spreads independent work items over their own thread pool (Tensor's
// glue passes `Parallel.for`).
//
// Callers must check `CPUFeatures.hasAVX2FMA` (in Tensor, built for baseline x86-64) before calling
// anything here: code built for Haswell raises SIGILL on an older CPU. Tensor keeps its vol2col + sgemm
// path for that case and plain reference kernels for tests.
//
// Files: DirectConv3D.swift (shapes, the three passes: forward, input gradient, weight gradient, and
// the padded scratch volumes), DirectConv3D+Rows.swift (W-vectorised kernels for <= 8 channels),
// DirectConv3D+Gather.swift (output-stationary SIMD micro-kernels), DirectConv3D+WeightGradient.swift
// (weight-stationary micro-kernels).

/// Runs `body(i)` for every i in 0..<count, possibly on several threads at once; returns when all are
/// done. Each i writes memory no other i writes.
public typealias ParallelFor = (_ count: Int, _ body: (Int) -> Void) -> Void

/// A `ParallelFor` that runs everything on the calling thread (tests, single-threaded callers).
public let serialFor: ParallelFor = { count, body in
    for i in 0..<count { body(i) }
}
