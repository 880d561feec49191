import Backprop
import CParallel
import Foundation
import XCTest

/// The OpenBLAS kernels GradLab's products run on (`BLASThreads.core`, Sources/CParallel/BLASCore.c): never a
/// fallback without AVX2 on a processor that has AVX2 and FMA.
final class BLASCoreTests: XCTestCase {
    private func choice(_ current: String, avx2: Bool, avx512: Bool) -> String? {
        gradlab_blas_choose_core(current, avx2 ? 1 : 0, avx512 ? 1 : 0).map { String(cString: $0) }
    }

    func testFallbackCoresAreReplacedOnAProcessorWithWideVectors() {
        for fallback in ["Prescott", "Core2", "Nehalem", "Sandybridge", "Barcelona", "Unknown"] {
            XCTAssertEqual(choice(fallback, avx2: true, avx512: true), "SkylakeX", fallback)
            XCTAssertEqual(choice(fallback, avx2: true, avx512: false), "Haswell", fallback)
        }
    }

    func testWideCoresAndNarrowProcessorsAreKept() {
        for wide in ["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids", "Excavator", "haswell", "SKYLAKEX"] {
            XCTAssertNil(choice(wide, avx2: true, avx512: true), wide)
            XCTAssertNil(choice(wide, avx2: true, avx512: false), wide)
        }
        // Without AVX2 and FMA, OpenBLAS's own choice is the best there is.
        XCTAssertNil(choice("Prescott", avx2: false, avx512: false))
        XCTAssertNil(choice("Sandybridge", avx2: false, avx512: false))
        XCTAssertNil(gradlab_blas_choose_core(nil, 1, 1))
    }

    /// On this machine: the core in use is one the rule keeps, and a replacement took effect.
    func testTheCoreInUseHasTheProcessorsWidth() {
        var avx2: Int32 = 0, avx512: Int32 = 0
        gradlab_processor_features(&avx2, &avx512)
        let core = BLASThreads.core
        XCTAssertFalse(core.name.isEmpty)
        if getenv("OPENBLAS_CORETYPE") == nil {
            XCTAssertNil(gradlab_blas_choose_core(core.name, avx2, avx512),
                         "OpenBLAS runs \(core.name) on a processor with AVX2+FMA \(avx2), AVX-512 \(avx512)")
        }
        if let replaced = core.replaced {
            XCTAssertEqual(gradlab_blas_choose_core(replaced, avx2, avx512).map { String(cString: $0) }, core.name)
            // The variable that made the switch is not left for the programs GradLab starts.
            XCTAssertNil(getenv("OPENBLAS_CORETYPE"))
        }
        // A product on the selected kernels is still right.
        let a: [Float] = [1, 2, 3, 4, 5, 6], b: [Float] = [7, 8, 9, 10, 11, 12]
        var c = [Float](repeating: 0, count: 4)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    Float.gemm(transposeA: false, transposeB: false, m: 2, n: 2, k: 3, alpha: 1, a: a.baseAddress!,
                               lda: 3, b: b.baseAddress!, ldb: 2, beta: 0, c: c.baseAddress!, ldc: 2)
                }
            }
        }
        XCTAssertEqual(c, [58, 64, 139, 154])
    }
}
