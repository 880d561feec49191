extension ExperimentConfig {
    /// The settings that are set, by config key, as text: what run.json records as "the config as given".
    public var settings: [String: String] {
        var result: [String: String] = [:]
        func put<T>(_ key: String, _ value: T?) { if let value { result[key] = "\(value)" } }
        put("mlp", mlp); put("depth", depth); put("width", width); put("activation", activation); put("init", initializer); put("norm", norm)
        put("residual", residual); put("dropout", dropout); put("loss", loss); put("optimizer", optimizer)
        put("lr", learningRate); put("weight-decay", weightDecay); put("schedule", schedule)
        put("clip-norm", clipNorm); put("clip-value", clipValue); put("steps", steps); put("epochs", epochs)
        put("batch", batch); put("eval-every", evaluateEvery); put("stop-on-nonfinite", stopOnNonFinite)
        put("seed", seed); put("dataset", dataset); put("examples", examples); put("noise", noise); put("data", data)
        put("label", label); put("targets", targets?.joined(separator: ",")); put("validation", validation)
        put("standardize", standardize); put("precision", precision)
        return result
    }
}
