#define _GNU_SOURCE
#include "CLoomSystem.h"
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int cloom_die_with_parent(int signal, int expected_parent) {
    if (prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0) != 0) return -1;
    return getppid() == expected_parent ? 0 : -1;
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
