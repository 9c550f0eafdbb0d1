// CSwiftBusShims: what Glibc does not export to Swift. One-line wrappers, prefixed
// `csb_`, no logic. Swift targets above this never `#if` on the C library.
#ifndef CSWIFTBUSSHIMS_H
#define CSWIFTBUSSHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/un.h>

// Process credentials as `struct ucred` carries them. Glibc hides `ucred` behind
// _GNU_SOURCE, which Swift's Glibc module is not built with, so the shim uses its own
// struct with the same layout (checked by a static assertion in shims.c).
typedef struct {
    int32_t pid;
    uint32_t uid;
    uint32_t gid;
} csb_ucred;

// Sockets.
int csb_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);
int csb_sock_cloexec(void);
int csb_sock_nonblock(void);
int csb_msg_cmsg_cloexec(void);
int csb_msg_ctrunc(void);
int csb_msg_nosignal(void);
int csb_so_peercred(void);
int csb_so_peersec(void);
int csb_so_peergroups(void);
int csb_so_peerpidfd(void);
int csb_so_passcred(void);
int csb_so_acceptconn(void);
int csb_scm_rights(void);
int csb_scm_credentials(void);

// Control messages: the CMSG_* macros as functions.
struct cmsghdr *csb_cmsg_firsthdr(struct msghdr *message);
struct cmsghdr *csb_cmsg_nxthdr(struct msghdr *message, struct cmsghdr *header);
unsigned char *csb_cmsg_data(struct cmsghdr *header);
size_t csb_cmsg_space(size_t payload);
size_t csb_cmsg_len(size_t payload);

// Descriptors and processes.
int csb_pipe2(int fds[2], int flags);
int csb_o_cloexec(void);
// Restricts the calling thread to CPU `cpu` (sched_setaffinity); -1 with errno on failure.
int csb_pin_thread_to_cpu(int cpu);
// futex(2) on a word of a MAP_SHARED mapping (not FUTEX_PRIVATE: the waker is another
// process). Wait: sleeps while *word == expected, up to timeout_ms (-1: no bound); 0 when
// woken or the word differed (EAGAIN), -1 with errno (ETIMEDOUT, EINTR) otherwise. Wake:
// wakes up to `count` sleepers; the number woken, or -1 with errno.
int csb_futex_wait_shared(const uint32_t *word, uint32_t expected, int timeout_ms);
int csb_futex_wake_shared(const uint32_t *word, int count);

// memfd and file seals.
int csb_memfd_create(const char *name, unsigned int flags);
int csb_mfd_cloexec(void);
int csb_mfd_allow_sealing(void);
int csb_f_add_seals(void);
int csb_f_get_seals(void);
int csb_f_seal_seal(void);
int csb_f_seal_shrink(void);
int csb_f_seal_grow(void);
int csb_f_seal_write(void);
int csb_f_seal_future_write(void);
int csb_fcntl_int(int fd, int command, int argument);

// Activated services. csb_spawn_service starts `path` with `argv` and `envp` the way a bus
// starts a service: empty signal mask and every signal at its default (the broker blocks
// signals for its signalfd, and children would inherit that), stdin from /dev/null, every
// descriptor above 2 closed (listening sockets, epoll, peers' fds must not leak). No PATH
// search, as dbus-daemon execs argv[0] as given. Returns 0 with `*pid` set, or an errno —
// glibc's posix_spawn reports a failed exec too, so a missing binary is known at once.
int csb_spawn_service(const char *path, char *const argv[], char *const envp[], pid_t *pid);
// pidfd_open(2): a descriptor that becomes readable when `pid` exits; -1 and errno on failure.
int csb_pidfd_open(pid_t pid);

#endif
