import Foundation
import LoomDistributed

/// One stretch of work as `Client.performanceReport` saw it, and the standalone HTML page that
/// shows it: task stream, time per function, transfer bandwidth, memory over time, the
/// scheduler's logs, and the bottlenecks. The page needs no network: its data, style and
/// script are inside it.
public struct PerformanceReport: Sendable, Codable {
    public var title: String
    public var started: Double
    public var finished: Double
    public var stream: [TaskStreamEntry]
    /// Time per function within the stretch (totals at its end minus those at its start).
    public var functions: [String: FunctionProfile]
    public var memory: [MemorySample]
    public var logs: [LogRecord]
    public var bottlenecks: [Bottleneck]

    init(title: String, start: DiagnosticsSnapshot, end: DiagnosticsSnapshot) {
        self.title = title
        started = start.time
        finished = end.time
        stream = end.stream
        var functions: [String: FunctionProfile] = [:]
        for (name, total) in end.profile {
            let before = start.profile[name] ?? FunctionProfile()
            let within = FunctionProfile(
                tasks: total.tasks - before.tasks, compute: total.compute - before.compute,
                serialization: total.serialization - before.serialization, transfer: total.transfer - before.transfer,
                transferBytes: total.transferBytes &- before.transferBytes, disk: total.disk - before.disk)
            if within.tasks > 0 || within.transfer > 0 || within.disk > 0 { functions[name] = within }
        }
        self.functions = functions
        memory = end.memory
        logs = end.logs
        bottlenecks = BottleneckAdvisor.advise(profile: functions, stream: end.stream, workers: end.workers, waitingTasks: 0)
    }

    /// The report as one HTML page.
    public func html() throws -> String {
        let json = String(decoding: try JSONEncoder().encode(self), as: UTF8.self).replacingOccurrences(of: "</", with: "<\\/")
        return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(title.htmlEscaped)</title>
        <style>\(DashboardAssets.css)</style>
        </head>
        <body>
        <header><strong>Loom performance report</strong><span id="summary"></span></header>
        <main id="view"></main>
        <script>window.loomReport = \(json);</script>
        <script>\(DashboardAssets.helpers)\n\(ReportAssets.javascript)</script>
        </body>
        </html>
        """
    }
}

extension String {
    var htmlEscaped: String {
        replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// The script that draws a performance report from its embedded data.
enum ReportAssets {
    static let javascript = #"""
    const r = window.loomReport, view = document.getElementById("view");
    function part(id, title, body, wide) { return section(title, body, wide, id); }

    const fns = Object.entries(r.functions).sort((a, b) => (b[1].compute + b[1].transfer) - (a[1].compute + a[1].transfer));
    const tasks = fns.reduce((n, [, p]) => n + p.tasks, 0);
    const transfer = fns.reduce((n, [, p]) => n + p.transfer, 0), moved = fns.reduce((n, [, p]) => n + p.transferBytes, 0);
    document.getElementById("summary").textContent = ` · ${escape(r.title)} · ${secs(r.finished - r.started)} · ${tasks} tasks`;

    let html = part("bottlenecks", "Bottlenecks", r.bottlenecks.length
      ? `<ul class="advice">` + r.bottlenecks.map(b => `<li><b>${escape(b.title)}</b>: ${escape(b.detail)} <i>${escape(b.remedy)}</i></li>`).join("") + `</ul>`
      : `<p class="muted">Nothing stands out.</p>`, true);

    if (r.stream.length) {
      const start = Math.min(...r.stream.map(t => t.start)), end = Math.max(...r.stream.map(t => t.stop)), span = Math.max(end - start, 1e-6);
      const lanes = [...new Set(r.stream.map(t => t.worker + "#" + t.thread))].sort(), h = 14, w = 1000, left = 150;
      let svg = `<svg viewBox="0 0 ${w + left} ${lanes.length * h + 14}" width="100%">`;
      lanes.forEach((l, i) => svg += `<text x="0" y="${i * h + 11}">${escape(l)}</text>`);
      for (const t of r.stream) svg += `<rect class="task-bar" x="${(left + (t.start - start) / span * w).toFixed(1)}" y="${lanes.indexOf(t.worker + "#" + t.thread) * h + 2}" width="${Math.max(0.5, (t.stop - t.start) / span * w).toFixed(1)}" height="${h - 4}" fill="${color(t.prefix)}"><title>${escape(t.key)} ${secs(t.stop - t.start)}</title></rect>`;
      html += part("task-stream", `Task stream (${r.stream.length} tasks over ${secs(span)})`, svg + `</svg>`, true);
    } else html += part("task-stream", "Task stream", `<p class="muted">No task ran.</p>`, true);

    const most = Math.max(...fns.map(([, p]) => p.compute + p.transfer + p.serialization + p.disk), 1e-9);
    html += part("functions", "Time per function", `<table><tr><th>Function</th><th>Tasks</th><th>Compute</th><th>Transfer</th><th>(De)serialisation</th><th>Disk</th><th></th></tr>` +
      fns.map(([f, p]) => `<tr><td><span style="color:${color(f)}">■</span> ${escape(f)}</td><td>${p.tasks}</td><td>${secs(p.compute)}</td><td>${secs(p.transfer)}</td><td>${secs(p.serialization)}</td><td>${secs(p.disk)}</td><td style="width:30%">${bar([["compute", p.compute], ["transfer", p.transfer], ["serialization", p.serialization], ["disk", p.disk]], most)}</td></tr>`).join("") + `</table>`, true);

    html += part("transfers", "Transfer bandwidth", `<p>${bytes(moved)} moved between workers in ${secs(transfer)} of transfer time` +
      (transfer > 0 ? ` (${bytes(moved / transfer)}/s)` : "") + `</p>` +
      fns.filter(([, p]) => p.transferBytes > 0).map(([f, p]) => `<div class="row"><span>${escape(f)}</span>${bar([["transfer", p.transferBytes]], moved)}<span>${bytes(p.transferBytes)}</span></div>`).join(""));

    if (r.memory.length > 1) {
      const t0 = r.memory[0].time, t1 = r.memory[r.memory.length - 1].time, top = Math.max(...r.memory.map(m => m.managed + m.unmanaged + m.spilled), 1);
      const line = key => r.memory.map(m => `${((m.time - t0) / Math.max(t1 - t0, 1e-6) * 900).toFixed(1)},${(100 - key(m) / top * 100).toFixed(1)}`).join(" ");
      html += part("memory", `Memory over time (peak ${bytes(top)})`, `<svg viewBox="0 0 900 100" width="100%" height="120">` +
        `<polyline fill="none" stroke="#43a047" points="${line(m => m.managed)}"/><polyline fill="none" stroke="#8d6e63" points="${line(m => m.managed + m.unmanaged)}"/><polyline fill="none" stroke="#fb8c00" points="${line(m => m.spilled)}"/></svg>` +
        `<p class="muted">green: managed · brown: managed + unmanaged · orange: spilled</p>`);
    } else html += part("memory", "Memory over time", `<p class="muted">Too short to sample (every 0.5 s).</p>`);

    html += part("logs", "Scheduler logs", `<pre>` + r.logs.map(l => `${new Date(l.time * 1000).toISOString()} ${l.level} ${escape(l.label)}: ${escape(l.message)}`).join("\n") + `</pre>`, true);
    view.innerHTML = html;
    """#
}
