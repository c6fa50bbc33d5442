#ifndef CLOOM_SYSTEM_H
#define CLOOM_SYSTEM_H

// Small wrappers for system calls Swift cannot reach directly: variadic functions, macros,
// and functions Glibc only declares under _GNU_SOURCE.

/// The environment variable a launcher sets to its own pid so that the process it starts dies
/// with it. Read at load time by a constructor in this library, on the main thread: the kernel
/// ties PR_SET_PDEATHSIG to the calling thread, so it must not be armed from a worker thread.
#define CLOOM_DIE_WITH_PARENT "LOOM_DIE_WITH_PARENT"

/// pipe2(fds, O_CLOEXEC): a pipe whose ends are not inherited by other spawned processes.
int cloom_pipe_cloexec(int fds[2]);

/// An anonymous shared-memory file (memfd_create with MFD_CLOEXEC); -1 on failure.
int cloom_memfd(const char *name);

/// Decodes a waitpid status: returns 1 and sets *code if the process exited, returns 2 and sets
/// *code to the signal if it was killed, 0 otherwise.
int cloom_wait_status(int status, int *code);

/// Names the calling thread (shown by debuggers and top); names are cut to 15 bytes.
void cloom_name_thread(const char *name);

/// Returns freed heap memory to the system (glibc's malloc_trim), so resident memory drops.
void cloom_release_free_memory(void);

/// Whether the signal still has its default action (nobody in the process handles or ignores it).
int cloom_signal_is_default(int signal);

/// Gives the signal back its default action.
void cloom_restore_default(int signal);

/// Gives the signal back its default action and sends it to this process (ending it as the
/// signal would have; if it cannot be delivered, exits with status 128 + signal).
void cloom_reraise_with_default(int signal);

#endif
