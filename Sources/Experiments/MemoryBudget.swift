import Foundation

/// Sizes checked against the machine's memory before anything is allocated, so that a model or a
/// dataset that cannot fit is an error that says how much it needs, not a crash in the allocator.
///
/// The budget is half of the physical memory: training needs the model, its gradients and optimizer
/// state, the data and the batch's activations at once, and the rest of the machine needs room too.
public enum MemoryBudget {
    /// Bytes that one model, dataset or run may take: half the physical memory.
    public static var bytes: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return 4 << 30 }
        let (total, overflow) = pages.multipliedReportingOverflow(by: size)
        return overflow ? Int.max / 2 : total / 2
    }

    /// Throws an `ExperimentError` for `setting` when `bytes` exceeds the budget; `what` names the thing.
    public static func check(bytes: Int, what: String, setting: String) throws {
        guard bytes > Self.bytes else { return }
        throw ExperimentError(setting: setting, message: "\(what) needs about \(describe(bytes)) of memory, more than "
                              + "the \(describe(Self.bytes)) this machine can give it (half its memory); make it smaller")
    }

    /// The product of `factors`, or nil when it overflows.
    public static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (p, overflow) = result.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            result = p
        }
        return result
    }

    /// The sum of `terms`, or nil when it overflows.
    public static func sum(_ terms: [Int]) -> Int? {
        var result = 0
        for t in terms {
            let (s, overflow) = result.addingReportingOverflow(t)
            if overflow { return nil }
            result = s
        }
        return result
    }

    /// `bytes` in words: "12 GB", "640 MB".
    static func describe(_ bytes: Int) -> String {
        if bytes == Int.max { return "more than 9 EB" }
        let gb = Double(bytes) / 1e9
        if gb >= 1 { return gb >= 1e6 ? String(format: "%.3g GB", gb) : String(format: "%.1f GB", gb) }
        return String(format: "%.0f MB", max(Double(bytes) / 1e6, 1))
    }
}
