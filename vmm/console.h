/*
 * The guest console: where the UART's output goes and its input comes from (--console
 * stdio|file:PATH|none). On a terminal, stdin is put in raw mode and restored at exit on every path
 * (normal exit, die(), fatal signal). Ctrl-A x quits (exit code 0 if the guest did not stop first),
 * Ctrl-A a sends a literal Ctrl-A, Ctrl-A h prints help.
 */
#ifndef MINIVMM_CONSOLE_H
#define MINIVMM_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct machine;

int console_init(struct machine *m);
void console_shutdown(void);

/* Guest output. Thread-safe; never blocks the vCPU for long (drops on a stuck file/pty). */
void console_write(const void *buf, size_t len);

/*
 * Guest input. The UART model registers one receiver: rx() is offered input bytes and returns how
 * many it took; the rest are kept and offered again after the device calls console_rx_ready()
 * (e.g. when the guest has drained its receive FIFO).
 */
typedef size_t (*console_rx_fn)(void *opaque, const uint8_t *buf, size_t len);
void console_set_receiver(console_rx_fn rx, void *opaque);
void console_rx_ready(void);



/* Tests and benchmarks: send guest output to fn instead of the console file (NULL restores). */
void console_capture(void (*fn)(void *opaque, const void *buf, size_t len), void *opaque);

#endif
