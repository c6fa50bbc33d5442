import CLoomSystem
#if canImport(Glibc)
import Glibc
#endif

/// An operating-system thread running one closure, joinable.
///
/// Tasks run on these rather than on Swift's cooperative pool, so a task that blocks (on a
/// file, a lock, a long computation) never starves the async code around it.
package final class DedicatedThread: @unchecked Sendable {
    private var handle = pthread_t()

    /// Starts `body` on a new thread with an 8 MiB stack (deep recursion in user tasks is common).
    package init(name: String, _ body: @escaping @Sendable () -> Void) {
        final class Box { let body: @Sendable () -> Void; let name: String; init(_ b: @escaping @Sendable () -> Void, _ n: String) { body = b; name = n } }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, 8 << 20)
        let box = Unmanaged.passRetained(Box(body, name)).toOpaque()
        let result = pthread_create(&handle, &attributes, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            cloom_name_thread(box.name)
            box.body()
            return nil
        }, box)
        pthread_attr_destroy(&attributes)
        precondition(result == 0, "pthread_create failed with \(result)")
    }

    package func join() { pthread_join(handle, nil) }
}
