extension ExperimentConfig {
    /// The settings that are set, by config key, as text: what run.json records as "the config as given".
    public var settings: [String: String] {
        var result: [String: String] = [:]
        for setting in Settings.all {
            if let text = setting.text(in: self) { result[setting.key] = text }
        }
        return result
    }
}
