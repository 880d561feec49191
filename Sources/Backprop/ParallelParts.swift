import CParallel

/// A loop that `ParallelParts` can split: `run` does the iterations in `range`, and may be called from
/// several threads at once with disjoint ranges.
package protocol ParallelTask: AnyObject {
    func run(_ range: Range<Int>)
}

/// Splits a loop over the same helper threads as the products (`BLASThreads`, Sources/CParallel): the
/// caller runs part 0, every part runs once, and the call returns when all have finished. Nothing is
/// allocated: the task is an object the caller keeps (a closure would be boxed on every call). Used where
/// the parts write disjoint memory and each element is computed in the same order as by the whole loop,
/// so a split result is bit-identical to the unsplit one.
package enum ParallelParts {
    /// Loops of fewer elements stay on the calling thread: waking a helper costs more than it saves.
    package static let minimumElements = 1 << 16

    /// Elementwise kernels of at least this many elements are split: a transcendental costs about a
    /// nanosecond per element, several times a copy's.
    static let minimumKernelElements = 1 << 13

    /// Runs `task.run(range)` over consecutive ranges covering `0..<count`, one per thread, when `elements`
    /// (the work the loop touches) is at least `minimum`; otherwise `task.run(0..<count)` here.
    static func forEachRange(of count: Int, elements: Int, minimum: Int = minimumElements, _ task: any ParallelTask) {
        let threads = BLASThreads.count
        guard count > 1, elements >= minimum, threads > 1 else { return task.run(0..<count) }
        var job = Job(count: count, task: task)
        withUnsafeMutablePointer(to: &job) { pointer in
            gradlab_parallel_run(partTask, UnsafeMutableRawPointer(pointer), Int32(Swift.min(threads, count)))
        }
    }

    /// Runs `task.run(range)` over consecutive ranges covering `0..<count` with about the same weight each,
    /// one per thread, when the total weight is at least `minimum`; otherwise `task.run(0..<count)` here.
    /// `cumulative` holds count + 1 running totals of the items' weights (0 first, the total last).
    package static func forEachRange(weighted cumulative: UnsafeBufferPointer<Int>, minimum: Int = minimumElements,
                             _ task: any ParallelTask) {
        let count = cumulative.count - 1, threads = BLASThreads.count
        guard count > 1, let total = cumulative.last, total >= minimum, threads > 1 else {
            return task.run(0..<Swift.max(count, 0))
        }
        var job = Job(count: count, task: task, cumulative: cumulative.baseAddress)
        withUnsafeMutablePointer(to: &job) { pointer in
            gradlab_parallel_run(partTask, UnsafeMutableRawPointer(pointer), Int32(Swift.min(threads, count)))
        }
    }

    fileprivate struct Job {
        var count: Int
        var task: any ParallelTask
        var cumulative: UnsafePointer<Int>? = nil

        /// Part `part` of `parts`: an even share of `0..<count`, the first `count % parts` parts one longer;
        /// or, with weights, the items whose running total before them lies in the part's share of the total.
        func run(part: Int, parts: Int) {
            if let cumulative {
                task.run(first(ofPart: part, parts, cumulative)..<first(ofPart: part + 1, parts, cumulative))
                return
            }
            let share = count / parts, extra = count % parts
            let start = part * share + Swift.min(part, extra)
            task.run(start..<(start + share + (part < extra ? 1 : 0)))
        }

        /// The first item of part `part`: the first whose running total before it reaches part/parts of the
        /// whole (0 for the first part, `count` past the last).
        private func first(ofPart part: Int, _ parts: Int, _ cumulative: UnsafePointer<Int>) -> Int {
            guard part > 0 else { return 0 }
            guard part < parts else { return count }
            let threshold = (cumulative[count] * part + parts - 1) / parts
            var index = 0
            while index < count && cumulative[index] < threshold { index += 1 }
            return index
        }
    }
}

/// One part of the `ParallelParts.Job` that `context` points at.
private let partTask: gradlab_parallel_task = { context, part, parts in
    guard let context else { return }
    context.assumingMemoryBound(to: ParallelParts.Job.self).pointee.run(part: Int(part), parts: Int(parts))
}
