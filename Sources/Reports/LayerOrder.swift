/// Orders layer and parameter names as model order reads them: by their dot-separated parts, whole
/// numbers as numbers, a name before the names inside it.
///
/// ```
/// 2 < 3 < 3.0 < 3.1 < 3.1.weight < 4 < 10        (text order would put 10 before 2)
/// ```
/// Parts that are not whole numbers compare as text, after the numeric ones. A run folder written by
/// another framework may list its rows in any order; figures show layers from input to output.
enum LayerOrder {
    /// Whether `a` comes before `b`.
    static func precedes(_ a: String, _ b: String) -> Bool {
        let left = a.split(separator: ".", omittingEmptySubsequences: false)
        let right = b.split(separator: ".", omittingEmptySubsequences: false)
        for (x, y) in zip(left, right) where x != y {
            switch (Int(x), Int(y)) {
            case let (m?, n?) where m != n: return m < n
            case (_?, nil): return true
            case (nil, _?): return false
            default: return x < y
            }
        }
        return left.count < right.count
    }

    /// The distinct names of `names` in model order.
    static func sorted(_ names: [String]) -> [String] {
        orderedUnique(names).sorted(by: precedes)
    }
}
