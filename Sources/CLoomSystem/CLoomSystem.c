#define _GNU_SOURCE
#include <malloc.h>
#include "CLoomSystem.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

// Runs before main, on the main thread. Checking the parent after arming the signal closes the
// race where the launcher died before the request; then this process must not run at all.
__attribute__((constructor)) static void cloom_die_with_launcher(void) {
    const char *value = getenv(CLOOM_DIE_WITH_PARENT);
    if (value == NULL) return;
    int parent = atoi(value);
    unsetenv(CLOOM_DIE_WITH_PARENT);  // its own children must not inherit the request
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != parent) _exit(1);
}

int cloom_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int cloom_memfd(const char *name) { return memfd_create(name, MFD_CLOEXEC); }

int cloom_wait_status(int status, int *code) {
    if (WIFEXITED(status)) { *code = WEXITSTATUS(status); return 1; }
    if (WIFSIGNALED(status)) { *code = WTERMSIG(status); return 2; }
    return 0;
}

void cloom_name_thread(const char *name) {
    char shortened[16];
    strncpy(shortened, name, 15);
    shortened[15] = 0;
    pthread_setname_np(pthread_self(), shortened);
}

void cloom_release_free_memory(void) {
    malloc_trim(0);
}

int cloom_signal_is_default(int signal) {
    struct sigaction current;
    if (sigaction(signal, NULL, &current) != 0) return 0;
    return !(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_DFL;
}

void cloom_restore_default(int signal) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    sigaction(signal, &action, NULL);
}

void cloom_reraise_with_default(int signal) {
    cloom_restore_default(signal);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal);
    // Unblocked in this thread, the signal is delivered here at once.
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(signal);
    _exit(128 + signal);
}
