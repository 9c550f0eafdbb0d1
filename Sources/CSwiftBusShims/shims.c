// CSwiftBusShims: one-line wrappers over what Glibc does not export to Swift.
#define _GNU_SOURCE
#include "CSwiftBusShims.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sched.h>
#include <errno.h>
#include <time.h>
#include <linux/futex.h>

// Kernel values for the seals, for C libraries whose headers predate them (Linux uapi).
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#define MFD_ALLOW_SEALING 0x0002U
#endif
// Linux uapi socket option numbers that older headers lack.
#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

_Static_assert(sizeof(csb_ucred) == sizeof(struct ucred), "csb_ucred must mirror struct ucred");
_Static_assert(offsetof(csb_ucred, uid) == offsetof(struct ucred, uid), "csb_ucred.uid offset");
_Static_assert(offsetof(csb_ucred, gid) == offsetof(struct ucred, gid), "csb_ucred.gid offset");

int csb_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) { return accept4(fd, address, length, flags); }
int csb_sock_cloexec(void) { return SOCK_CLOEXEC; }
int csb_sock_nonblock(void) { return SOCK_NONBLOCK; }
int csb_msg_cmsg_cloexec(void) { return MSG_CMSG_CLOEXEC; }
int csb_msg_ctrunc(void) { return MSG_CTRUNC; }
int csb_msg_nosignal(void) { return MSG_NOSIGNAL; }
int csb_so_peercred(void) { return SO_PEERCRED; }
int csb_so_peersec(void) { return SO_PEERSEC; }
int csb_so_peergroups(void) { return SO_PEERGROUPS; }
int csb_so_peerpidfd(void) { return SO_PEERPIDFD; }
int csb_so_passcred(void) { return SO_PASSCRED; }
int csb_so_acceptconn(void) { return SO_ACCEPTCONN; }
int csb_scm_rights(void) { return SCM_RIGHTS; }
int csb_scm_credentials(void) { return SCM_CREDENTIALS; }

struct cmsghdr *csb_cmsg_firsthdr(struct msghdr *message) { return CMSG_FIRSTHDR(message); }
struct cmsghdr *csb_cmsg_nxthdr(struct msghdr *message, struct cmsghdr *header) { return CMSG_NXTHDR(message, header); }
unsigned char *csb_cmsg_data(struct cmsghdr *header) { return CMSG_DATA(header); }
size_t csb_cmsg_space(size_t payload) { return CMSG_SPACE(payload); }
size_t csb_cmsg_len(size_t payload) { return CMSG_LEN(payload); }

int csb_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }
int csb_o_cloexec(void) { return O_CLOEXEC; }

int csb_memfd_create(const char *name, unsigned int flags) { return memfd_create(name, flags); }
int csb_mfd_cloexec(void) { return MFD_CLOEXEC; }
int csb_mfd_allow_sealing(void) { return MFD_ALLOW_SEALING; }
int csb_f_add_seals(void) { return F_ADD_SEALS; }
int csb_f_get_seals(void) { return F_GET_SEALS; }
int csb_f_seal_seal(void) { return F_SEAL_SEAL; }
int csb_f_seal_shrink(void) { return F_SEAL_SHRINK; }
int csb_f_seal_grow(void) { return F_SEAL_GROW; }
int csb_f_seal_write(void) { return F_SEAL_WRITE; }
int csb_f_seal_future_write(void) { return F_SEAL_FUTURE_WRITE; }
int csb_fcntl_int(int fd, int command, int argument) { return fcntl(fd, command, argument); }

int csb_spawn_service(const char *path, char *const argv[], char *const envp[], pid_t *pid) {
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_t actions;
    sigset_t none, all;
    int result = posix_spawnattr_init(&attributes);
    if (result != 0) return result;
    result = posix_spawn_file_actions_init(&actions);
    if (result != 0) { posix_spawnattr_destroy(&attributes); return result; }
    sigemptyset(&none);
    sigfillset(&all);
    if ((result = posix_spawnattr_setsigmask(&attributes, &none)) == 0 &&
        (result = posix_spawnattr_setsigdefault(&attributes, &all)) == 0 &&
        (result = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) == 0 &&
        (result = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)) == 0 &&
        (result = posix_spawn_file_actions_addclosefrom_np(&actions, 3)) == 0) {
        result = posix_spawn(pid, path, &actions, &attributes, argv, envp);
    }
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    return result;
}

int csb_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int csb_futex_wait_shared(const uint32_t *word, uint32_t expected, int timeout_ms) {
    struct timespec timeout = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
    long result = syscall(SYS_futex, word, FUTEX_WAIT, expected, timeout_ms < 0 ? NULL : &timeout, NULL, 0);
    if (result == -1 && errno == EAGAIN) return 0;
    return result == -1 ? -1 : 0;
}

int csb_futex_wake_shared(const uint32_t *word, int count) {
    return (int)syscall(SYS_futex, word, FUTEX_WAKE, count, NULL, NULL, 0);
}

int csb_pin_thread_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}
