// wakeups.c: what one hop's wake-up costs, for choosing the kdbus doorbells (docs/kdbus-transport.md §4.3).
//
// Two processes ping-pong one wake-up each way, 50 000 times; prints µs per round trip.
// Modes (the responder's side differs; the initiator always writes a pipe and reads one,
// except in futex mode):
//   poll-read   responder: poll(2 fds: doorbell + an idle pipe) then read — the version-2 client
//   read        responder: blocking read of the pipe
//   futex       both: FUTEX_WAIT / FUTEX_WAKE on a shared anonymous mapping — the version-3 client
//   epoll-read  responder: level-triggered epoll_wait on the pipe, then read — the version-2 broker
//   epoll-edge  responder: edge-triggered epoll_wait on an eventfd, never read — the version-3 broker
// Build and run pinned, as the figures in the docs were taken:
//   gcc -O2 -o /tmp/wakeups Benchmarks/Bus/wakeups.c
//   for m in poll-read read futex epoll-read epoll-edge; do taskset -c 0 /tmp/wakeups $m; done
#define _GNU_SOURCE
#include <linux/futex.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { rounds = 50000 };

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static long futex(_Atomic unsigned *word, int op, unsigned value) {
    return syscall(SYS_futex, word, op, value, NULL, NULL, 0);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    int futex_mode = !strcmp(mode, "futex"), edge = !strcmp(mode, "epoll-edge");
    if (!futex_mode && !edge && strcmp(mode, "poll-read") && strcmp(mode, "read") && strcmp(mode, "epoll-read")) {
        fprintf(stderr, "usage: wakeups poll-read|read|futex|epoll-read|epoll-edge\n");
        return 2;
    }
    int request[2], answer[2], idle[2];
    if (pipe(request) || pipe(answer) || pipe(idle)) { perror("pipe"); return 1; }
    int counter = eventfd(0, EFD_NONBLOCK);
    _Atomic unsigned *words = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (counter < 0 || words == MAP_FAILED) { perror("setup"); return 1; }
    char byte = 1;
    uint64_t one = 1;
    pid_t child = fork();
    if (child == 0) {
        int epoll = epoll_create1(0);
        struct epoll_event interest = { .events = EPOLLIN | (edge ? EPOLLET : 0) };
        epoll_ctl(epoll, EPOLL_CTL_ADD, edge ? counter : request[0], &interest);
        for (unsigned i = 0; i < rounds; i++) {
            if (futex_mode) {
                while (atomic_load(&words[0]) == i) futex(&words[0], FUTEX_WAIT, i);
                atomic_store(&words[1], i + 1);
                futex(&words[1], FUTEX_WAKE, 1);
                continue;
            }
            if (!strcmp(mode, "poll-read")) {
                struct pollfd fds[2] = { { request[0], POLLIN, 0 }, { idle[0], POLLIN, 0 } };
                poll(fds, 2, -1);
            } else if (!strcmp(mode, "epoll-read") || edge) {
                struct epoll_event ready[8];
                epoll_wait(epoll, ready, 8, -1);
            }
            if (!edge && read(request[0], &byte, 1) != 1) _exit(1);
            if (write(answer[1], &byte, 1) != 1) _exit(1);
        }
        _exit(0);
    }
    double start = now_us();
    for (unsigned i = 0; i < rounds; i++) {
        if (futex_mode) {
            atomic_store(&words[0], i + 1);
            futex(&words[0], FUTEX_WAKE, 1);
            while (atomic_load(&words[1]) == i) futex(&words[1], FUTEX_WAIT, i);
            continue;
        }
        if (edge ? write(counter, &one, 8) != 8 : write(request[1], &byte, 1) != 1) return 1;
        if (read(answer[0], &byte, 1) != 1) return 1;
    }
    double elapsed = now_us() - start;
    waitpid(child, NULL, 0);
    printf("%s: %.2f us per round trip\n", mode, elapsed / rounds);
    return 0;
}
