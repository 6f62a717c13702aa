// The one door to OpenBLAS. Nothing else in salt calls cblas_* or openblas_*.
//
// Threads: OpenBLAS runs its own threads for one large GEMM called from a single thread; kernels that
// split work over `Parallel` call GEMM inside with OpenBLAS at one thread (`BLAS.singleThreaded`), so the
// two never fight over the 2 cores.
import COpenBLAS

public enum BLAS {
    public enum Transpose { case none, transposed }

    /// C[m x n] = alpha * op(A)[m x k] * op(B)[k x n] + beta * C, row-major, leading dimensions in elements.
    @inline(__always)
    public static func sgemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "sgemm with negative size m=\(m) n=\(n) k=\(k)")
        if m == 0 || n == 0 { return }
        cblas_sgemm(
            CblasRowMajor,
            transA == .none ? CblasNoTrans : CblasTrans,
            transB == .none ? CblasNoTrans : CblasTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// The number of threads OpenBLAS uses for one call.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }

    /// Runs `body` with OpenBLAS on one thread (for GEMMs issued from inside `Parallel.for`).
    public static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
        let before = threads
        if before != 1 { threads = 1 }
        defer { if before != 1 { threads = before } }
        return try body()
    }

    /// The kernel family OpenBLAS picked for this CPU (e.g. "Haswell"); benchmarks print it.
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }
}
