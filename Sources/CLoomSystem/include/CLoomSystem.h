#ifndef CLOOM_SYSTEM_H
#define CLOOM_SYSTEM_H

// Small wrappers for system calls Swift cannot reach directly: variadic functions, macros,
// and functions Glibc only declares under _GNU_SOURCE.

/// Asks the kernel to send `signal` to this process when its parent dies, then checks the parent
/// is still `expected_parent` (closing the race where it died before the request). Returns 0 on
/// success, -1 if the parent is already gone or the request failed.
int cloom_die_with_parent(int signal, int expected_parent);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends are not inherited by other spawned processes.
int cloom_pipe_cloexec(int fds[2]);

/// An anonymous shared-memory file (memfd_create with MFD_CLOEXEC); -1 on failure.
int cloom_memfd(const char *name);

/// Decodes a waitpid status: returns 1 and sets *code if the process exited, returns 2 and sets
/// *code to the signal if it was killed, 0 otherwise.
int cloom_wait_status(int status, int *code);

/// Names the calling thread (shown by debuggers and top); names are cut to 15 bytes.
void cloom_name_thread(const char *name);

#endif
