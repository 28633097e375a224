/*
 * The guest console. Output: stdout, a file, or nowhere. Input: stdin through the event loop, with
 * the escape prefix Ctrl-A (x: quit, a: literal Ctrl-A, h: help). A terminal is put in raw mode
 * (Ctrl-C goes to the guest, as with QEMU -nographic) and restored on every way out.
 */
#include "vmm/console.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <termios.h>
#include <unistd.h>

#include "vmm/event.h"
#include "vmm/machine.h"
#include "vmm/util.h"

#define CTRL_A 0x01
#define PENDING_MAX 4096

/*
 * Two locks so that lock order never inverts: out_lock is taken under a device's lock (device ->
 * console_write); lock (input) is taken first and then the device's lock (console_input -> rx), so
 * console_rx_ready() is called with no device lock held.
 */
static struct {
	pthread_mutex_t lock, out_lock;
	int out_fd;          /* -1: discard */
	int in_fd;           /* -1: no input */
	bool raw;
	struct termios saved;
	bool escape;         /* saw Ctrl-A */
	struct machine *m;
	console_rx_fn rx;
	void *rx_opaque;
	uint8_t pending[PENDING_MAX];
	size_t npending;
	void (*capture)(void *opaque, const void *buf, size_t len);
	void *capture_opaque;
} con = { .lock = PTHREAD_MUTEX_INITIALIZER, .out_lock = PTHREAD_MUTEX_INITIALIZER, .out_fd = STDOUT_FILENO, .in_fd = -1 };

static void console_restore_tty(void)
{
	if (con.raw) {
		tcsetattr(STDIN_FILENO, TCSANOW, &con.saved);
		con.raw = false;
	}
}

static void console_fatal_signal(int sig)
{
	console_restore_tty();
	signal(sig, SIG_DFL);
	raise(sig);
}

void console_capture(void (*fn)(void *opaque, const void *buf, size_t len), void *opaque)
{
	pthread_mutex_lock(&con.out_lock);
	con.capture = fn;
	con.capture_opaque = opaque;
	pthread_mutex_unlock(&con.out_lock);
}

void console_write(const void *buf, size_t len)
{
	pthread_mutex_lock(&con.out_lock);
	if (con.capture) {
		con.capture(con.capture_opaque, buf, len);
	} else if (con.out_fd >= 0) {
		const uint8_t *p = buf;
		while (len) {
			ssize_t n = write(con.out_fd, p, len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break; /* a closed pipe or full disk must not stop the guest */
			p += n;
			len -= (size_t)n;
		}
	}
	pthread_mutex_unlock(&con.out_lock);
}

/* Offer pending input to the receiver; called with con.lock held. */
static void console_flush_input_locked(void)
{
	if (!con.rx || !con.npending)
		return;
	size_t took = con.rx(con.rx_opaque, con.pending, con.npending);
	if (took > con.npending)
		took = con.npending;
	memmove(con.pending, con.pending + took, con.npending - took);
	con.npending -= took;
}

void console_set_receiver(console_rx_fn rx, void *opaque)
{
	pthread_mutex_lock(&con.lock);
	con.rx = rx;
	con.rx_opaque = opaque;
	pthread_mutex_unlock(&con.lock);
}

void console_rx_ready(void)
{
	/*
	 * Wait for the lock rather than try it: if the main loop holds it, its rx call may have found
	 * the FIFO full just before the guest drained it, and nobody else would offer the rest.
	 */
	pthread_mutex_lock(&con.lock);
	console_flush_input_locked();
	pthread_mutex_unlock(&con.lock);
}

static void console_help(void)
{
	static const char help[] = "\r\nminivmm console escapes:\r\n"
				   "  Ctrl-A x   quit minivmm\r\n"
				   "  Ctrl-A a   send Ctrl-A to the guest\r\n"
				   "  Ctrl-A h   this help\r\n";
	if (write(STDERR_FILENO, help, sizeof(help) - 1) < 0) {
		/* nothing useful to do */
	}
}

static void console_queue(uint8_t c)
{
	if (con.npending < PENDING_MAX)
		con.pending[con.npending++] = c;
}

static void console_input(void *opaque, uint32_t events)
{
	uint8_t buf[256];
	ssize_t n = read(con.in_fd, buf, sizeof(buf));

	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		/* EOF on stdin (a pipe closed): no more input, the guest keeps running. */
		event_del_fd(con.in_fd);
		con.in_fd = -1;
		return;
	}
	pthread_mutex_lock(&con.lock);
	for (ssize_t i = 0; i < n; i++) {
		uint8_t c = buf[i];
		if (con.escape) {
			con.escape = false;
			if (c == 'x' || c == 'X') {
				pthread_mutex_unlock(&con.lock);
				log_info("Ctrl-A x: quitting");
				machine_request_exit(con.m, MEXIT_POWEROFF, 0);
				return;
			} else if (c == 'h' || c == 'H' || c == '?') {
				console_help();
			} else if (c == 'a' || c == CTRL_A) {
				console_queue(CTRL_A);
			} else {
				console_queue(CTRL_A);
				console_queue(c);
			}
		} else if (c == CTRL_A && con.raw) {
			con.escape = true;
		} else {
			console_queue(c);
		}
	}
	console_flush_input_locked();
	pthread_mutex_unlock(&con.lock);
}

int console_init(struct machine *m)
{
	const struct vm_config *cfg = m->cfg;

	con.m = m;
	con.in_fd = -1;
	switch (cfg->console) {
	case CONSOLE_NONE:
		con.out_fd = -1;
		return 0;
	case CONSOLE_FILE: {
		int fd = open(cfg->console_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			int e = -errno;
			log_error("--console file:%s: cannot open for writing: %s", cfg->console_path,
				  strerror(errno));
			return e;
		}
		con.out_fd = fd;
		return 0;
	}
	case CONSOLE_STDIO:
		break;
	}
	con.out_fd = STDOUT_FILENO;
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &con.saved) == 0) {
		struct termios raw = con.saved;
		cfmakeraw(&raw);
		raw.c_oflag |= OPOST | ONLCR; /* our own log lines still start at column 0 */
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) {
			con.raw = true;
			atexit(console_restore_tty);
			/* SIGINT/SIGTERM/SIGHUP are clean exits handled by machine.c; these are not. */
			static const int sigs[] = { SIGQUIT, SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
			for (unsigned i = 0; i < ARRAY_SIZE(sigs); i++)
				signal(sigs[i], console_fatal_signal);
		}
	}
	/* Input only from something readable: a terminal or a pipe/file, not /dev/null noise. */
	int fl = fcntl(STDIN_FILENO, F_GETFL);
	if (fl >= 0 && event_add_fd(STDIN_FILENO, EPOLLIN, console_input, NULL) == 0)
		con.in_fd = STDIN_FILENO;
	return 0;
}

void console_shutdown(void)
{
	if (con.in_fd >= 0) {
		event_del_fd(con.in_fd);
		con.in_fd = -1;
	}
	if (con.out_fd > STDERR_FILENO)
		close(con.out_fd);
	con.out_fd = STDOUT_FILENO;
	console_restore_tty();
}
