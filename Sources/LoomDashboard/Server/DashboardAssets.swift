// The dashboard's page, script and style, embedded so the dashboard works offline.
enum DashboardAssets {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>Loom dashboard</title>
    <link rel="stylesheet" href="/static/dashboard.css">
    </head>
    <body>
    <header>
      <strong>Loom</strong>
      <nav>
        <a href="/status">Status</a><a href="/workers">Workers</a><a href="/jobs">Jobs</a><a href="/pods">Pods</a><a href="/cloud">Cloud</a><a href="/logs">Logs</a>
        <a href="/profile">Profile</a><a href="/graph">Graph</a><a href="/system">System</a>
      </nav>
      <span id="summary"></span>
    </header>
    <main id="view"></main>
    <!--initial-->
    <script src="/static/dashboard.js"></script>
    </body>
    </html>
    """#

    static let css = #"""
    body { font: 13px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
    header { display: flex; gap: 1.5em; align-items: center; padding: .6em 1em; background: #263238; color: #eee; }
    header a { color: #cfd8dc; margin-right: 1em; text-decoration: none; }
    header a.current { color: #fff; font-weight: bold; }
    main { padding: 1em; display: grid; gap: 1em; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); }
    section { background: #fff; border: 1px solid #ddd; border-radius: 4px; padding: .6em .8em; }
    section.wide { grid-column: 1 / -1; }
    h2 { font-size: 14px; margin: 0 0 .5em; }
    .row { display: grid; grid-template-columns: 11em 1fr 9em; gap: .5em; align-items: center; margin: 2px 0; }
    .bar { display: flex; height: 14px; background: #eceff1; border-radius: 2px; overflow: hidden; }
    .bar span { display: block; height: 100%; }
    .managed, .memory { background: #43a047; } .unmanaged { background: #8d6e63; } .spilled { background: #fb8c00; }
    .processing { background: #1e88e5; } .queued, .waiting { background: #b0bec5; } .erred { background: #e53935; }
    .compute { background: #1e88e5; } .transfer { background: #e53935; } .serialization { background: #8e24aa; } .disk { background: #fb8c00; }
    table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eee; }
    pre { white-space: pre-wrap; margin: 0; font-size: 12px; }
    .advice li { margin: .3em 0; } .muted { color: #777; } .warning { color: #b71c1c; }
    svg text { font-size: 10px; fill: #555; }
    """#

    /// Drawing helpers the dashboard and performance reports share.
    static let helpers = #"""
    "use strict";
    const palette = ["#1e88e5", "#43a047", "#8e24aa", "#fb8c00", "#00897b", "#d81b60", "#5e35b1", "#7cb342", "#6d4c41", "#3949ab"];
    const colors = {};
    function color(prefix) {
      if (!(prefix in colors)) colors[prefix] = palette[Object.keys(colors).length % palette.length];
      return colors[prefix];
    }
    function bytes(n) {
      const units = ["B", "kB", "MB", "GB", "TB"]; let i = 0;
      while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
      return (i ? n.toFixed(1) : n) + " " + units[i];
    }
    function secs(s) { return s < 1 ? (s * 1000).toFixed(1) + " ms" : s.toFixed(2) + " s"; }
    function escape(text) { return String(text).replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})[c]); }
    function section(title, body, wide, id) { return `<section${id ? ` id="${id}"` : ""} class="${wide ? "wide" : ""}"><h2>${title}</h2>${body}</section>`; }
    function bar(parts, total) {
      return `<div class="bar">` + parts.map(([cls, v]) => `<span class="${cls}" style="width:${total > 0 ? (100 * v / total).toFixed(2) : 0}%"></span>`).join("") + `</div>`;
    }
    """#

    static let javascript = #"""
    const view = document.getElementById("view");
    const page = location.pathname.replace(/^\//, "") || "status";
    for (const link of document.querySelectorAll("nav a")) if (link.getAttribute("href") === "/" + page) link.classList.add("current");
    const stream = [];
    let snapshot = null;
    const cpu = [];
    function taskStream() {
      if (!stream.length) return section("Task stream", `<p class="muted">No task has finished yet.</p>`, true);
      // The newest 1 000 tasks at most: more bars would not be told apart, and cost the browser.
      const shown = stream.slice(-1000);
      const end = Math.max(...shown.map(t => t.stop)), start = end - 10;
      const lanes = [...new Set(shown.map(t => t.worker + "#" + t.thread))].sort();
      const height = 14, width = 1000, left = 150;
      let svg = `<svg id="task-stream" viewBox="0 0 ${width + left} ${lanes.length * height + 14}" width="100%">`;
      lanes.forEach((lane, i) => { svg += `<text x="0" y="${i * height + 11}">${escape(lane)}</text>`; });
      for (const t of shown) {
        if (t.stop < start) continue;
        const x = left + Math.max(0, (t.start - start) / 10 * width), w = Math.max(1, (t.stop - Math.max(t.start, start)) / 10 * width);
        svg += `<rect class="task-bar" data-key="${escape(t.key)}" x="${x.toFixed(1)}" y="${lanes.indexOf(t.worker + "#" + t.thread) * height + 2}" width="${w.toFixed(1)}" height="${height - 4}" fill="${color(t.prefix)}"><title>${escape(t.key)} ${(1000 * (t.stop - t.start)).toFixed(2)} ms</title></rect>`;
      }
      svg += `<text x="${left}" y="${lanes.length * height + 12}">last 10 s</text></svg>`;
      return section("Task stream", svg, true);
    }

    function progress() {
      const rows = Object.entries(snapshot.progress).sort().map(([fn, p]) => {
        const total = p.waiting + p.queued + p.processing + p.memory + p.erred + p.released;
        return `<div class="row progress-row"><span>${escape(fn)}</span>${bar([["memory", p.memory + p.released], ["processing", p.processing], ["queued", p.queued + p.waiting], ["erred", p.erred]], total)}<span>${p.memory + p.released} / ${total}${p.erred ? `, ${p.erred} erred` : ""}</span></div>`;
      });
      return section("Progress", rows.join("") || `<p class="muted">No tasks.</p>`);
    }

    function memory() {
      const workers = snapshot.workers;
      if (workers.length > 50) {
        // Too many rows: how many workers sit in each tenth of their memory limit.
        const bins = new Array(10).fill(0);
        for (const w of workers) bins[Math.min(9, Math.floor(10 * (w.managed + w.unmanaged) / Math.max(1, w.memoryLimit)))]++;
        const most = Math.max(...bins, 1);
        return section(`Memory (${workers.length} workers, by share of their limit)`, bins.map((n, i) =>
          `<div class="row"><span>${i * 10}–${i * 10 + 10} %</span>${bar([["managed", n]], most)}<span>${n} workers</span></div>`).join(""));
      }
      const most = Math.max(...workers.map(w => Math.max(w.memoryLimit, w.managed + w.unmanaged + w.spilled)), 1);
      return section("Memory per worker", workers.map(w =>
        `<div class="row memory-bar" data-worker="${escape(w.name)}"><span>${escape(w.name)}</span>${bar([["managed", w.managed], ["unmanaged", w.unmanaged], ["spilled", w.spilled]], most)}<span>${bytes(w.managed + w.unmanaged)}${w.spilled ? " + " + bytes(w.spilled) + " spilled" : ""}${w.paused ? " (paused)" : ""}</span></div>`).join(""));
    }

    function occupancy() {
      const workers = snapshot.workers;
      const shown = workers.length > 50 ? [...workers].sort((a, b) => b.occupancy - a.occupancy).slice(0, 20) : workers;
      const most = Math.max(...shown.map(w => w.processing), 1);
      return section(workers.length > 50 ? "Processing (the 20 busiest workers)" : "Processing per worker", shown.map(w =>
        `<div class="row"><span>${escape(w.name)}</span>${bar([["processing", w.processing]], most)}<span>${w.processing} tasks, ${w.occupancy.toFixed(2)} s</span></div>`).join(""));
    }

    let advice = [];
    async function refreshAdvice() {
      try { advice = await (await fetch("/api/advice")).json(); } catch (e) {}
    }
    function adviceSection() {
      if (!advice.length) return section("Bottlenecks", `<p class="muted">Nothing stands out.</p>`);
      return section("Bottlenecks", `<ul class="advice">` + advice.map(a => `<li><b>${escape(a.title)}</b>: ${escape(a.detail)} <i>${escape(a.remedy)}</i></li>`).join("") + `</ul>`);
    }

    function workersTable() {
      return section("Workers", `<table id="workers"><tr><th>Name</th><th>Address</th><th>Threads</th><th>Memory</th><th>Limit</th><th>Spilled</th><th>Processing</th><th>In memory</th><th>Last heartbeat</th><th></th></tr>` +
        snapshot.workers.map(w => `<tr><td>${escape(w.name)}</td><td>${escape(w.address)}</td><td>${w.threads}</td><td>${bytes(w.managed + w.unmanaged)}</td><td>${w.memoryLimit ? bytes(w.memoryLimit) : "none"}</td><td>${bytes(w.spilled)}</td><td>${w.processing}</td><td>${w.inMemory}</td><td>${w.lastSeen.toFixed(1)} s ago</td><td><a href="/logs?worker=${encodeURIComponent(w.name)}">logs</a></td></tr>`).join("") + `</table>`, true);
    }

    async function refreshJobs() {
      try { jobsPage(await (await fetch("/api/jobs")).json()); } catch (e) {}
    }
    function jobsPage(report) {
      if (!report || !report.system) { view.innerHTML = section("Jobs", `<p class="muted">This cluster's workers are not batch jobs.</p>`, true); return; }
      const joined = new Set(snapshot ? snapshot.workers.map(w => w.name) : []);
      const failures = report.consecutiveFailures, plural = failures === 1 ? "" : "s";
      let status = `<p id="submissions">${report.jobs.length} job${report.jobs.length === 1 ? "" : "s"}` +
        (report.maximumPendingJobs ? ` · at most ${report.maximumPendingJobs} pending at a time` : "") +
        (failures ? ` · the last ${failures} submission${plural} refused` : "") + `</p>`;
      if (report.pausedForSeconds) status += `<p class="warning" id="paused">Submissions paused for ${report.pausedForSeconds.toFixed(0)} s more (cluster.resumeSubmissions() resumes them).</p>`;
      if (report.lastError) status += `<p class="warning" id="last-refusal">The batch system last said: ${escape(report.lastError)}</p>`;
      view.innerHTML = section(`Jobs (${escape(report.system)})`, status + `<table id="jobs"><tr><th>Name</th><th>Job id</th><th>State</th><th>Workers joined</th><th>Folder</th><th></th></tr>` +
        (report.jobs.length ? "" : `<tr><td colspan="6" class="muted">No jobs: cluster.scale(jobs:) or adapt submits them.</td></tr>`) +
        report.jobs.map(j => `<tr><td>${escape(j.name)}</td><td>${escape(j.id || "—")}</td><td class="job-state">${escape(j.state)}</td><td>${j.workers.filter(w => joined.has(w)).length} of ${j.workers.length}</td><td>${escape(j.directory)}</td><td>${escape(j.error || "")}</td></tr>`).join("") + `</table>`, true);
    }

    async function refreshPods() {
      try { podsPage(await (await fetch("/api/pods")).json()); } catch (e) {}
    }
    function podsPage(report) {
      if (!report || !report.pods) { view.innerHTML = section("Pods", `<p class="muted">This cluster's workers are not Kubernetes pods.</p>`, true); return; }
      const joined = new Set(snapshot ? snapshot.workers.map(w => w.name) : []);
      const stuck = report.pods.filter(p => p.trouble).length;
      let status = `<p id="pod-summary">${report.pods.length} pod${report.pods.length === 1 ? "" : "s"} in namespace ${escape(report.namespace)}` +
        (stuck ? ` · ${stuck} cannot run` : "") + `</p>`;
      if (report.watchError) status += `<p class="warning" id="watch-error">${escape(report.watchError)}</p>`;
      view.innerHTML = section("Pods (Kubernetes)", status + `<table id="pods"><tr><th>Name</th><th>Component</th><th>Phase</th><th>Pod IP</th><th>Node</th><th>Worker joined</th><th>Trouble</th></tr>` +
        (report.pods.length ? "" : `<tr><td colspan="7" class="muted">No pods: cluster.scale(n) or adapt starts them.</td></tr>`) +
        report.pods.map(p => `<tr${p.trouble ? ' class="warning"' : ""}><td>${escape(p.name)}</td><td>${escape(p.component)}</td><td class="pod-phase">${escape(p.phase)}</td><td>${escape(p.ip || "—")}</td><td>${escape(p.node || "—")}</td><td>${p.component === "worker" ? (joined.has(p.name) ? "yes" : "no") : ""}</td><td class="pod-trouble">${escape(p.trouble || "")}</td></tr>`).join("") + `</table>`, true);
    }

    async function refreshCloud() {
      try { cloudPage(await (await fetch("/api/cloud")).json()); } catch (e) {}
    }
    function cloudPage(report) {
      if (!report || !report.tasks) { view.innerHTML = section("Cloud", `<p class="muted">This cluster's workers are not cloud tasks.</p>`, true); return; }
      const joined = new Set(snapshot ? snapshot.workers.map(w => w.name) : []);
      const stopped = report.tasks.filter(t => t.stoppedReason).length;
      const status = `<p id="cloud-summary">${report.tasks.length - stopped} task${report.tasks.length - stopped === 1 ? "" : "s"} running in ${escape(report.cluster)}` +
        (stopped ? ` · ${stopped} stopped` : "") + `</p>`;
      view.innerHTML = section(`Tasks (${escape(report.provider)})`, status + `<table id="cloud-tasks"><tr><th>Task</th><th>Role</th><th>Worker</th><th>Status</th><th>Worker joined</th><th>Why it stopped</th></tr>` +
        (report.tasks.length ? "" : `<tr><td colspan="6" class="muted">No tasks: cluster.scale(n) or adapt starts them.</td></tr>`) +
        report.tasks.map(t => `<tr${t.stoppedReason ? ' class="warning"' : ""}><td>${escape(t.id)}</td><td>${escape(t.role)}</td><td>${escape(t.worker)}</td><td class="task-status">${escape(t.lastStatus)}${t.desiredStatus !== t.lastStatus ? " → " + escape(t.desiredStatus) : ""}</td><td>${t.role === "worker" ? (joined.has(t.worker) ? "yes" : "no") : ""}</td><td class="task-stopped">${escape(t.stoppedReason || "")}</td></tr>`).join("") + `</table>`, true);
    }

    async function logsPage() {
      const params = new URLSearchParams(location.search), worker = params.get("worker") || "";
      const names = snapshot ? snapshot.workers.map(w => w.name) : [];
      let records = [];
      try { records = await (await fetch("/api/logs?n=500&worker=" + encodeURIComponent(worker))).json(); } catch (e) {}
      const choices = [`<a href="/logs">scheduler</a>`].concat(names.map(n => `<a href="/logs?worker=${encodeURIComponent(n)}">${escape(n)}</a>`)).join(" · ");
      view.innerHTML = section(`Logs: ${escape(worker || "scheduler")}`, `<p>${choices}</p><pre id="logs">` +
        (Array.isArray(records) ? records.map(r => `${new Date(r.time * 1000).toISOString()} ${r.level} ${escape(r.label)}: ${escape(r.message)}`).join("\n") : escape(JSON.stringify(records))) + `</pre>`, true);
    }

    async function profilePage() {
      const profile = await (await fetch("/api/profile")).json();
      const rows = Object.entries(profile).sort((a, b) => (b[1].compute + b[1].transfer + b[1].serialization + b[1].disk) - (a[1].compute + a[1].transfer + a[1].serialization + a[1].disk));
      const most = Math.max(...rows.map(([, p]) => p.compute + p.transfer + p.serialization + p.disk), 1e-9);
      view.innerHTML = section("Time per function: compute, transfer, (de)serialisation, disk", `<table id="profile"><tr><th>Function</th><th>Tasks</th><th>Compute</th><th>Transfer</th><th>(De)serialisation</th><th>Disk</th><th></th></tr>` +
        rows.map(([fn, p]) => `<tr><td>${escape(fn)}</td><td>${p.tasks}</td><td>${p.compute.toFixed(3)} s</td><td>${p.transfer.toFixed(3)} s (${bytes(p.transferBytes)})</td><td>${p.serialization.toFixed(3)} s</td><td>${p.disk.toFixed(3)} s</td><td style="width:30%">${bar([["compute", p.compute], ["transfer", p.transfer], ["serialization", p.serialization], ["disk", p.disk]], most)}</td></tr>`).join("") + `</table>`, true);
    }

    async function graphPage() {
      const graph = await (await fetch("/api/graph")).json();
      if (graph.refused) { view.innerHTML = section("Graph", `<p id="graph-refused">${escape(graph.refused)}</p>`, true); return; }
      // Layers by longest path from a root; nodes spread evenly within a layer.
      const level = graph.nodes.map(() => 0);
      for (let changed = true, rounds = 0; changed && rounds < graph.nodes.length; rounds++) {
        changed = false;
        for (const [from, to] of graph.edges) if (level[to] < level[from] + 1) { level[to] = level[from] + 1; changed = true; }
      }
      const layers = {}; graph.nodes.forEach((n, i) => (layers[level[i]] = layers[level[i]] || []).push(i));
      const depth = Math.max(0, ...level) + 1, widest = Math.max(1, ...Object.values(layers).map(l => l.length));
      const pos = []; Object.entries(layers).forEach(([l, nodes]) => nodes.forEach((n, j) => (pos[n] = [40 + (j + 0.5) * 900 / nodes.length, 20 + l * 40])));
      const stateColor = {memory: "#43a047", processing: "#1e88e5", erred: "#e53935", waiting: "#b0bec5", queued: "#b0bec5", released: "#eceff1", noWorker: "#fb8c00"};
      let svg = `<svg id="graph" viewBox="0 0 980 ${depth * 40 + 20}" width="100%">`;
      for (const [from, to] of graph.edges) svg += `<line x1="${pos[from][0]}" y1="${pos[from][1]}" x2="${pos[to][0]}" y2="${pos[to][1]}" stroke="#ccc"/>`;
      graph.nodes.forEach((n, i) => { svg += `<circle class="graph-node" cx="${pos[i][0]}" cy="${pos[i][1]}" r="${widest > 60 ? 3 : 6}" fill="${stateColor[n.state] || "#999"}"><title>${escape(n.key)} (${n.state})</title></circle>`; });
      view.innerHTML = section(`Graph (${graph.nodes.length} tasks)`, svg + `</svg>`, true);
    }

    function systemPage() {
      const s = snapshot.system;
      cpu.push(s.cpuPercent); if (cpu.length > 240) cpu.shift();
      const points = cpu.map((v, i) => `${i * 4},${100 - Math.min(100, v)}`).join(" ");
      view.innerHTML = section("Scheduler process", `<p id="system">CPU ${s.cpuPercent.toFixed(1)} % · memory ${bytes(s.residentBytes)} · up ${s.uptime.toFixed(0)} s</p><svg viewBox="0 0 960 100" width="100%" height="100"><polyline fill="none" stroke="#1e88e5" points="${points}"/></svg>`, true);
    }

    function render() {
      if (!snapshot) return;
      const t = snapshot.tasks;
      document.getElementById("summary").textContent = `${snapshot.workers.length} workers · ${t.processing || 0} processing · ${t.memory || 0} in memory · ${t.erred || 0} erred · adaptive target ${snapshot.adaptiveTarget}`;
      if (page === "status") view.innerHTML = taskStream() + progress() + memory() + occupancy() + adviceSection();
      else if (page === "workers") view.innerHTML = workersTable();
      else if (page === "system") systemPage();
    }

    function receive(next) {
      snapshot = next;
      for (const entry of snapshot.stream) stream.push(entry);
      if (stream.length > 2000) stream.splice(0, stream.length - 2000);
      render();
    }
    // The page arrives with the state of the moment; live updates follow from there.
    if (window.loomInitial) receive(window.loomInitial);
    const after = stream.length ? stream[stream.length - 1].sequence + 1 : 0;
    const events = new EventSource("/events?from=" + after);
    events.onmessage = (event) => receive(JSON.parse(event.data));
    if (page === "status") { refreshAdvice(); setInterval(refreshAdvice, 2000); }
    if (page === "logs") { logsPage(); setInterval(logsPage, 2000); }
    if (page === "jobs") { jobsPage(window.loomJobs); setInterval(refreshJobs, 1000); }
    if (page === "pods") { podsPage(window.loomPods); setInterval(refreshPods, 1000); }
    if (page === "cloud") { cloudPage(window.loomCloud); setInterval(refreshCloud, 1000); }
    if (page === "profile") { profilePage(); setInterval(profilePage, 2000); }
    if (page === "graph") { graphPage(); setInterval(graphPage, 2000); }
    """#
}
