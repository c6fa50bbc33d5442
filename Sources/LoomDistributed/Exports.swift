// The runtime's pure core is part of the distributed layer's API (messages, scheduler state,
// worker summaries): whoever imports LoomDistributed sees it too.
@_exported import LoomRuntime
