#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// Matrix multiplication for row-major matrices: the one kernel arrays' `matmul` and
/// `tensordot` spend their time in.
///
/// `Double` and `Float` go to the system's BLAS (`cblas_dgemm`, `cblas_sgemm`), opened at run
/// time with `dlopen`: OpenBLAS on Linux, Accelerate on macOS. Loom does not link against any
/// BLAS, so a package that depends on Loom builds on a machine without one; there the same
/// multiplies run in Loom's own cache-blocked loops, correct but several times slower. Install
/// OpenBLAS (Debian's `libopenblas0-pthread`) for the fast path; `backend` tells which is used.
/// Integer elements always take Loom's loops (no BLAS has them), with numpy's wrapping overflow.
enum BLAS {
    /// Which library serves Double/Float multiplies: "OpenBLAS (path)", "Accelerate", or
    /// "none (Loom's own loops)".
    static var backend: String { library?.name ?? "none (Loom's own loops)" }

    /// C (m×n) = A (m×k) · B (k×n), or C += A·B when `accumulate`; row-major with leading
    /// dimensions (the distance between rows, at least the row length).
    ///
    /// Without `accumulate`, C's prior contents are never read, so it may be uninitialized.
    static func multiply<E: NumericElement>(
        m: Int, n: Int, k: Int, a: UnsafePointer<E>, lda: Int, b: UnsafePointer<E>, ldb: Int,
        c: UnsafeMutablePointer<E>, ldc: Int, accumulate: Bool
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "a matrix multiply's sizes are negative: m \(m), n \(n), k \(k)")
        guard m > 0, n > 0 else { return }
        precondition(ldc >= n, "C's leading dimension \(ldc) is less than its \(n) columns")
        guard k > 0 else {
            if !accumulate { for row in 0..<m { (c + row * ldc).initialize(repeating: .zero, count: n) } }
            return
        }
        precondition(lda >= k && ldb >= n, "leading dimensions \(lda) (A, \(k) columns) and \(ldb) (B, \(n) columns) are too small")
        if let library, let sizes = CBLASSizes(m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc) {
            if E.self == Double.self {
                library.dgemm(
                    rowMajor, noTranspose, noTranspose, sizes.m, sizes.n, sizes.k, 1, rebound(a), sizes.lda, rebound(b), sizes.ldb,
                    accumulate ? 1 : 0, rebound(c), sizes.ldc)
                return
            }
            if E.self == Float.self {
                library.sgemm(
                    rowMajor, noTranspose, noTranspose, sizes.m, sizes.n, sizes.k, 1, rebound(a), sizes.lda, rebound(b), sizes.ldb,
                    accumulate ? 1 : 0, rebound(c), sizes.ldc)
                return
            }
        }
        loopMultiply(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
    }

    /// Tiles of 64 rows of C, 256 of the inner dimension and 256 columns: a tile of B (256×256)
    /// stays in the L2 cache while every row of A's tile streams past it.
    private static let rowTile = 64, innerTile = 256, columnTile = 256

    /// i-k-j order: the innermost loop walks rows of B and a row of C with unit stride, which
    /// the compiler vectorizes. Four rows of B go into each pass over C, so C is loaded and
    /// stored a quarter as often (1.4× faster than one row); the sums still add in k's order.
    static func loopMultiply<E: NumericElement>(
        m: Int, n: Int, k: Int, a: UnsafePointer<E>, lda: Int, b: UnsafePointer<E>, ldb: Int,
        c: UnsafeMutablePointer<E>, ldc: Int, accumulate: Bool
    ) {
        guard m > 0, n > 0 else { return }
        if !accumulate { for row in 0..<m { (c + row * ldc).initialize(repeating: .zero, count: n) } }
        for rowStart in stride(from: 0, to: m, by: rowTile) {
            let rowEnd = min(rowStart + rowTile, m)
            for innerStart in stride(from: 0, to: k, by: innerTile) {
                let innerEnd = min(innerStart + innerTile, k)
                for columnStart in stride(from: 0, to: n, by: columnTile) {
                    let columns = min(columnStart + columnTile, n) - columnStart
                    for row in rowStart..<rowEnd {
                        let cRow = c + row * ldc + columnStart
                        let aRow = a + row * lda
                        var inner = innerStart
                        while inner + 4 <= innerEnd {
                            let (s0, s1, s2, s3) = (aRow[inner], aRow[inner + 1], aRow[inner + 2], aRow[inner + 3])
                            let b0 = b + inner * ldb + columnStart, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb
                            for column in 0..<columns {
                                var sum = E.add(cRow[column], E.multiply(s0, b0[column]))
                                sum = E.add(sum, E.multiply(s1, b1[column]))
                                sum = E.add(sum, E.multiply(s2, b2[column]))
                                cRow[column] = E.add(sum, E.multiply(s3, b3[column]))
                            }
                            inner += 4
                        }
                        while inner < innerEnd {
                            let scale = aRow[inner]
                            let bRow = b + inner * ldb + columnStart
                            for column in 0..<columns { cRow[column] = E.add(cRow[column], E.multiply(scale, bRow[column])) }
                            inner += 1
                        }
                    }
                }
            }
        }
    }

    // MARK: The library, opened once

    // CBLAS's enum values (cblas.h): row-major order, and "no transpose".
    private static let rowMajor: Int32 = 101, noTranspose: Int32 = 111

    private typealias DGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Double, UnsafePointer<Double>?, Int32, UnsafePointer<Double>?, Int32, Double,
        UnsafeMutablePointer<Double>?, Int32
    ) -> Void
    private typealias SGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, Float,
        UnsafeMutablePointer<Float>?, Int32
    ) -> Void
    private typealias SetThreads = @convention(c) (Int32) -> Void

    private struct Library: Sendable {
        var name: String
        var dgemm: DGEMM
        var sgemm: SGEMM
    }

    /// Opened on first use; a `static let` is initialized exactly once, whichever thread gets
    /// there first, and the handle is never closed.
    private static let library: Library? = openLibrary()

    private static func openLibrary() -> Library? {
        #if canImport(Darwin)
        let candidates = ["/System/Library/Frameworks/Accelerate.framework/Accelerate"]
        #else
        let candidates = [
            "libopenblas.so.0", "libopenblas.so", "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
            "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
            // Debian's alternatives link: OpenBLAS's or the reference BLAS (which has CBLAS too).
            "libblas.so.3",
        ]
        #endif
        for candidate in candidates {
            guard let handle = dlopen(candidate, RTLD_NOW | RTLD_LOCAL) else { continue }
            guard let dgemm = dlsym(handle, "cblas_dgemm"), let sgemm = dlsym(handle, "cblas_sgemm") else {
                dlclose(handle)
                continue
            }
            let name: String
            #if canImport(Darwin)
            name = "Accelerate"
            #else
            if let setThreads = dlsym(handle, "openblas_set_num_threads") {
                // Loom already runs one multiply on each of its thread pool's threads (and each
                // process worker has its own pool); OpenBLAS's threads on top would only contend
                // for the same cores. A user who sets the variable gets what they asked for.
                if getenv("OPENBLAS_NUM_THREADS") == nil && getenv("OMP_NUM_THREADS") == nil {
                    unsafeBitCast(setThreads, to: SetThreads.self)(1)
                }
                name = "OpenBLAS (\(loadedPath(of: dgemm) ?? candidate))"
            } else {
                name = "BLAS (\(loadedPath(of: dgemm) ?? candidate))"
            }
            #endif
            return Library(name: name, dgemm: unsafeBitCast(dgemm, to: DGEMM.self), sgemm: unsafeBitCast(sgemm, to: SGEMM.self))
        }
        return nil
    }

    /// The file a symbol was loaded from (a bare name like "libopenblas.so.0" says little about
    /// which build it is): the mapping in /proc/self/maps that holds its address.
    private static func loadedPath(of symbol: UnsafeMutableRawPointer) -> String? {
        let address = UInt(bitPattern: symbol)
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return nil }
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[5].hasPrefix("/") else { continue }
            let bounds = fields[0].split(separator: "-").compactMap { UInt($0, radix: 16) }
            if bounds.count == 2, bounds[0] <= address, address < bounds[1] { return fields[5...].joined(separator: " ") }
        }
        return nil
    }

    /// CBLAS takes 32-bit sizes; a multiply too large for them takes Loom's loops instead.
    private struct CBLASSizes {
        var m, n, k, lda, ldb, ldc: Int32

        init?(m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int) {
            guard let m = Int32(exactly: m), let n = Int32(exactly: n), let k = Int32(exactly: k), let lda = Int32(exactly: lda),
                let ldb = Int32(exactly: ldb), let ldc = Int32(exactly: ldc)
            else { return nil }
            (self.m, self.n, self.k, self.lda, self.ldb, self.ldc) = (m, n, k, lda, ldb, ldc)
        }
    }

    /// The same memory as the concrete type the caller has just checked `E` to be.
    @inline(__always)
    private static func rebound<E, T>(_ pointer: UnsafePointer<E>) -> UnsafePointer<T> {
        UnsafeRawPointer(pointer).assumingMemoryBound(to: T.self)
    }

    @inline(__always)
    private static func rebound<E, T>(_ pointer: UnsafeMutablePointer<E>) -> UnsafeMutablePointer<T> {
        UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: T.self)
    }
}
