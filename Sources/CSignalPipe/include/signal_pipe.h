#ifndef HOOKTOP_SIGNAL_PIPE_H
#define HOOKTOP_SIGNAL_PIPE_H

// Signals as bytes on a pipe (the self-pipe trick). `hk_signal_watch`
// installs its handler with sigaction before it returns, so a signal sent
// any time after that call is read by `hk_signal_next`, never lost; a
// handler registered asynchronously (a dispatch source) leaves a window in
// which a signal set to SIG_IGN is dropped.

/// Catches `signo` from now on. 0, or an errno.
int hk_signal_watch(int signo);

/// Blocks until a watched signal has arrived and returns its number, or -1
/// when the pipe cannot be read.
int hk_signal_next(void);

#endif
