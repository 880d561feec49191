/// The run folder's identity: the `format` and `version` fields of `run.json`.
///
/// Columns may be added within a version; renaming or removing one bumps `version`.
public enum RunFormat {
    public static let name = "gradlab.run"
    public static let version = 1
}
