#include "signal_pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int pipe_fds[2] = {-1, -1};
static pthread_once_t pipe_once = PTHREAD_ONCE_INIT;
static int pipe_error = 0;

static void open_pipe(void) {
    if (pipe(pipe_fds) != 0) { pipe_error = errno; return; }
    for (int i = 0; i < 2; i++) {
        fcntl(pipe_fds[i], F_SETFD, FD_CLOEXEC);  // alert commands and children do not inherit it
    }
    // A full pipe already holds signals still to be read: the handler never blocks.
    fcntl(pipe_fds[1], F_SETFL, fcntl(pipe_fds[1], F_GETFL) | O_NONBLOCK);
}

static void on_signal(int signo) {
    int saved = errno;
    unsigned char byte = (unsigned char)signo;
    ssize_t ignored = write(pipe_fds[1], &byte, 1);
    (void)ignored;
    errno = saved;
}

int hk_signal_watch(int signo) {
    pthread_once(&pipe_once, open_pipe);
    if (pipe_error != 0) return pipe_error;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    return sigaction(signo, &action, NULL) == 0 ? 0 : errno;
}

int hk_signal_next(void) {
    pthread_once(&pipe_once, open_pipe);
    if (pipe_error != 0) return -1;
    for (;;) {
        unsigned char byte;
        ssize_t n = read(pipe_fds[0], &byte, 1);
        if (n == 1) return byte;
        if (n < 0 && errno == EINTR) continue;
        return -1;
    }
}
