import LoomDistributed

/// The dashboard as a set of scheduler plugins: diagnostics (always: performance reports read
/// them), and, where the scheduler's options give a `dashboardAddress`, the metrics and the
/// web dashboard itself.
public enum Dashboard {
    /// The plugins for a scheduler with these options.
    public static func plugins(for options: SchedulerOptions) throws -> [any SchedulerPlugin] {
        let diagnostics = DiagnosticsPlugin()
        guard let address = options.dashboardAddress else { return [diagnostics] }
        let metrics = MetricsPlugin()
        return [diagnostics, metrics, try DashboardPlugin(address: address, schedulerHost: options.host, diagnostics: diagnostics, metrics: metrics)]
    }

    /// Makes every scheduler this process starts serve the dashboard (`Loom.bootstrap` does
    /// this; call it yourself in a program that does not).
    public static func installAsDefault() {
        DefaultSchedulerPlugins.install("dashboard", plugins(for:))
    }
}
