/* sd-bus client: the benchmark's external client, so the figures do not depend on our code.
 *
 * Usage: sdbus-client WORKLOAD ADDRESS [KEY=VALUE ...]
 *   server | rtt size= count= | pipeline size= count= inflight= | subscribe connections= rules=
 *   | emit count= size= | connect count= | raw size= count= | pipe count= | memcpy size= count=
 *   | memfd size= count=
 * Same workloads, object, interface and output (one JSON line on stdout) as buswork, on systemd's
 * sd-bus, the client library most system services use. `raw`, `pipe`, `memcpy` and `memfd` are
 * the physical limits: a ping-pong over a socketpair between two processes, a 1-byte ping-pong
 * over two pipes (the doorbell of a ring transport), memcpy bandwidth, and the bandwidth of
 * making a new sealed memfd holding a payload (what a sender pays per fresh memfd).
 * run.sh compiles it: gcc -O2 sdbus-client.c $(pkg-config --cflags --libs libsystemd).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

/* Its own server name, so a buswork server and an sd-bus server can share one bus. */
#define SERVICE "org.swiftbus.BenchC"
#define OBJECT "/org/swiftbus/Bench"
#define INTERFACE "org.swiftbus.Bench"
#define TICK_RULE "type='signal',interface='" INTERFACE "',path='" OBJECT "'"
/* Must match buswork's BenchLimits. */
#define SIGNAL_BURST 64
#define BURSTS_IN_FLIGHT 4
#define ACK_PATH "/org/swiftbus/Bench/Ack"
#define ACK_RULE "type='signal',interface='" INTERFACE "',member='Ack',path='" ACK_PATH "'"
#define SUBSCRIBER_IDLE_TIMEOUT_MS 3000
#define MAX_SUBSCRIBERS 1024
/* Payloads above this go to Put (empty reply), as in buswork. */
#define ECHO_LIMIT (64 * 1024)
#define CALL_TIMEOUT_US (60ULL * 1000000ULL)

static const char *address;
static int argc_global;
static char **argv_global;

static void die(const char *what, int r) {
    fprintf(stderr, "sdbus-client: %s: %s\n", what, strerror(r < 0 ? -r : r));
    exit(1);
}

static long option(const char *key, long fallback) {
    size_t length = strlen(key);
    for (int i = 3; i < argc_global; i++)
        if (strncmp(argv_global[i], key, length) == 0 && argv_global[i][length] == '=')
            return strtol(argv_global[i] + length + 1, NULL, 10);
    return fallback;
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void print_latencies(uint64_t *samples, size_t count) {
    qsort(samples, count, sizeof *samples, compare_u64);
    size_t median = (size_t)((count - 1) * 0.5 + 0.5), p99 = (size_t)((count - 1) * 0.99 + 0.5);
    printf("{\"median_us\": %.3f, \"p99_us\": %.3f}\n", samples[median] / 1e3, samples[p99] / 1e3);
}

static sd_bus *open_bus(void) {
    sd_bus *bus = NULL;
    int r = sd_bus_new(&bus);
    if (r < 0) die("sd_bus_new", r);
    if ((r = sd_bus_set_address(bus, address)) < 0) die("sd_bus_set_address", r);
    if ((r = sd_bus_set_bus_client(bus, 1)) < 0) die("sd_bus_set_bus_client", r);
    if ((r = sd_bus_start(bus)) < 0) die("sd_bus_start", r);
    const char *unique;
    if ((r = sd_bus_get_unique_name(bus, &unique)) < 0) die("Hello", r); /* waits for Hello's reply */
    return bus;
}

static sd_bus_message *new_call(sd_bus *bus, const char *member, const void *payload, size_t size) {
    sd_bus_message *m = NULL;
    int r = sd_bus_message_new_method_call(bus, &m, SERVICE, OBJECT, INTERFACE, member);
    if (r < 0) die("new_method_call", r);
    if ((r = sd_bus_message_append_array(m, 'y', payload, size)) < 0) die("append_array", r);
    return m;
}

/* ---- server ---- */

static int quit_requested;

static int serve(sd_bus_message *m, void *userdata, sd_bus_error *error) {
    (void)userdata; (void)error;
    if (!sd_bus_message_is_method_call(m, INTERFACE, NULL)) return 0;
    const char *member = sd_bus_message_get_member(m);
    if (strcmp(member, "Sink") == 0) return 1;
    sd_bus_message *reply = NULL;
    int r = sd_bus_message_new_method_return(m, &reply);
    if (r < 0) die("new_method_return", r);
    if (strcmp(member, "Echo") == 0) {
        const void *data; size_t size;
        if ((r = sd_bus_message_read_array(m, 'y', &data, &size)) < 0) die("read_array", r);
        if ((r = sd_bus_message_append_array(reply, 'y', data, size)) < 0) die("append_array", r);
    }
    if ((r = sd_bus_send(NULL, reply, NULL)) < 0) die("send reply", r);
    sd_bus_message_unref(reply);
    if (strcmp(member, "Quit") == 0) quit_requested = 1;
    return 1;
}

static void run_server(void) {
    sd_bus *bus = open_bus();
    int r = sd_bus_request_name(bus, SERVICE, 0);
    if (r < 0) die("RequestName", r);
    if ((r = sd_bus_add_filter(bus, NULL, serve, NULL)) < 0) die("add_filter", r);
    printf("ready\n");
    fflush(stdout);
    while (!quit_requested) {
        r = sd_bus_process(bus, NULL);
        if (r < 0) die("process", r);
        if (r == 0 && (r = sd_bus_wait(bus, UINT64_MAX)) < 0 && r != -EINTR) die("wait", r);
    }
    sd_bus_flush_close_unref(bus);
}

/* ---- calls ---- */

static void run_rtt(void) {
    size_t size = (size_t)option("size", 8), count = (size_t)option("count", 1000), warmup = count / 10;
    sd_bus *bus = open_bus();
    void *payload = calloc(1, size ? size : 1);
    uint64_t *samples = calloc(count, sizeof *samples);
    for (size_t i = 0; i < warmup + count; i++) {
        uint64_t start = now_ns();
        sd_bus_message *call = new_call(bus, "Echo", payload, size), *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call(bus, call, CALL_TIMEOUT_US, &error, &reply);
        if (r < 0) die(error.message ? error.message : "Echo", r);
        uint64_t elapsed = now_ns() - start;
        sd_bus_message_unref(reply);
        sd_bus_message_unref(call);
        if (i >= warmup) samples[i - warmup] = elapsed;
    }
    print_latencies(samples, count);
    sd_bus_flush_close_unref(bus);
}

struct pipeline { sd_bus *bus; const char *member; void *payload; size_t size, count, sent, answered; };

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error);

static void send_async(struct pipeline *p) {
    sd_bus_message *call = new_call(p->bus, p->member, p->payload, p->size);
    int r = sd_bus_call_async(p->bus, NULL, call, on_reply, p, CALL_TIMEOUT_US);
    if (r < 0) die("call_async", r);
    sd_bus_message_unref(call);
    p->sent++;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
    (void)error;
    struct pipeline *p = userdata;
    if (sd_bus_message_is_method_error(m, NULL)) die(sd_bus_message_get_error(m)->message, EIO);
    p->answered++;
    if (p->sent < p->count) send_async(p);
    return 1;
}

static void run_pipeline(void) {
    struct pipeline p = {0};
    p.size = (size_t)option("size", 8);
    p.count = (size_t)option("count", 10000);
    size_t in_flight = (size_t)option("inflight", 32);
    p.member = p.size > ECHO_LIMIT ? "Put" : "Echo";
    p.payload = calloc(1, p.size ? p.size : 1);
    p.bus = open_bus();
    uint64_t start = now_ns();
    while (p.sent < p.count && p.sent < in_flight) send_async(&p);
    while (p.answered < p.count) {
        int r = sd_bus_process(p.bus, NULL);
        if (r < 0) die("process", r);
        if (r == 0 && (r = sd_bus_wait(p.bus, UINT64_MAX)) < 0 && r != -EINTR) die("wait", r);
    }
    double elapsed = (now_ns() - start) / 1e9;
    printf("{\"calls_per_s\": %.1f, \"mib_per_s\": %.3f, \"start_ns\": %llu, \"elapsed_s\": %.6f}\n",
           p.count / elapsed, p.count * (double)p.size / (1 << 20) / elapsed, (unsigned long long)start, elapsed);
    sd_bus_flush_close_unref(p.bus);
}

/* ---- signals ---- */

struct subscriber { long ticks; int done, dead; };
static uint64_t first_tick, last_done;
static int done_count, subscriber_count;
static struct subscriber *subscribers;
static long completed_bursts;
static sd_bus *acknowledger;

/* Acknowledges every burst the slowest live subscriber has completed (see buswork's
 * SubscriberProgress): the emitter stays at most BURSTS_IN_FLIGHT bursts ahead. */
static void acknowledge_progress(void) {
    long slowest = -1;
    for (int i = 0; i < subscriber_count; i++)
        if (!subscribers[i].dead && (slowest < 0 || subscribers[i].ticks < slowest)) slowest = subscribers[i].ticks;
    if (slowest < 0 || slowest < (completed_bursts + 1) * SIGNAL_BURST) return;
    completed_bursts = slowest / SIGNAL_BURST;
    int r = sd_bus_emit_signal(acknowledger, ACK_PATH, INTERFACE, "Ack", "");
    if (r < 0) die("emit Ack", r);
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *error) {
    (void)error;
    struct subscriber *s = userdata;
    const char *member = sd_bus_message_get_member(m);
    if (strcmp(member, "Tick") == 0) {
        if (!first_tick) first_tick = now_ns();
        s->ticks++;
        if (s->ticks == (completed_bursts + 1) * SIGNAL_BURST) acknowledge_progress();
    } else if (strcmp(member, "Done") == 0 && !s->done) {
        s->done = 1;
        done_count++;
        last_done = now_ns();
    }
    return 0;
}

static void run_subscribe(void) {
    int count = (int)option("connections", 10);
    long rules = option("rules", 0);
    if (count > MAX_SUBSCRIBERS) die("too many connections", EINVAL);
    static sd_bus *buses[MAX_SUBSCRIBERS];
    static struct subscriber state[MAX_SUBSCRIBERS];
    subscribers = state;
    subscriber_count = count;
    static struct pollfd fds[MAX_SUBSCRIBERS];
    for (int i = 0; i < count; i++) {
        buses[i] = open_bus();
        int r = sd_bus_add_match(buses[i], NULL, TICK_RULE, on_signal, &state[i]);
        if (r < 0) die("AddMatch", r);
    }
    sd_bus *noise = rules > 0 ? open_bus() : NULL;
    for (long i = 0; i < rules; i++) {
        char rule[256];
        /* Same rule as buswork's BenchProtocol.noiseRule. */
        snprintf(rule, sizeof rule, "type='signal',interface='" INTERFACE "',member='Noise%ld',path='" OBJECT "'", i);
        int r = sd_bus_add_match(noise, NULL, rule, NULL, NULL);
        if (r < 0) die("AddMatch (noise)", r);
    }
    acknowledger = open_bus();
    printf("ready\n");
    fflush(stdout);
    while (done_count < count) {
        for (int i = 0; i < count; i++) {
            if (state[i].dead) continue;
            int r;
            while ((r = sd_bus_process(buses[i], NULL)) > 0) {}
            if (r < 0) {
                /* A bus may drop a subscriber it cannot keep up with: what it missed counts as lost. */
                state[i].dead = 1;
                fds[i].fd = -1;
                if (!state[i].done) { state[i].done = 1; done_count++; }
                acknowledge_progress();
                continue;
            }
            fds[i].fd = sd_bus_get_fd(buses[i]);
            fds[i].events = (short)sd_bus_get_events(buses[i]);
        }
        if (done_count >= count) break;
        int r;
        while ((r = sd_bus_process(acknowledger, NULL)) > 0) {}
        int ready = poll(fds, (nfds_t)count, SUBSCRIBER_IDLE_TIMEOUT_MS);
        if (ready == 0) break;
    }
    int dead = 0;
    for (int i = 0; i < count; i++) dead += state[i].dead;
    long ticks = 0;
    for (int i = 0; i < count; i++) ticks += state[i].ticks;
    printf("{\"received\": %ld, \"completed\": %d, \"disconnected\": %d, \"first_ns\": %llu, \"end_ns\": %llu}\n",
           ticks, done_count - dead, dead, (unsigned long long)first_tick, (unsigned long long)last_done);
    if (noise) sd_bus_flush_close_unref(noise);
}

static void ping_bus(sd_bus *bus) {
    sd_bus_error error = SD_BUS_ERROR_NULL;
    sd_bus_message *reply = NULL;
    int r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetId", &error, &reply, "");
    if (r < 0) die("GetId", r);
    sd_bus_message_unref(reply);
}

static void emit(sd_bus *bus, const char *member, const void *payload, size_t size) {
    sd_bus_message *m = NULL;
    int r = sd_bus_message_new_signal(bus, &m, OBJECT, INTERFACE, member);
    if (r < 0) die("new_signal", r);
    if ((r = sd_bus_message_append_array(m, 'y', payload, size)) < 0) die("append_array", r);
    if ((r = sd_bus_send(bus, m, NULL)) < 0) die("send signal", r);
    sd_bus_message_unref(m);
}

static long acknowledged;

static int on_acknowledgement(sd_bus_message *m, void *userdata, sd_bus_error *error) {
    (void)m; (void)userdata; (void)error;
    acknowledged++;
    return 0;
}

/* Sends the ticks in bursts, at most BURSTS_IN_FLIGHT bursts ahead of the subscribers'
 * acknowledgements; with none for the idle timeout (a bus lost ticks), carries on unpaced. */
static void run_emit(void) {
    long count = option("count", 1000);
    size_t size = (size_t)option("size", 8);
    void *payload = calloc(1, size ? size : 1);
    sd_bus *bus = open_bus();
    int r = sd_bus_add_match(bus, NULL, ACK_RULE, on_acknowledgement, NULL);
    if (r < 0) die("AddMatch (Ack)", r);
    int paced = 1;
    uint64_t start = now_ns();
    for (long i = 0; i < count; i++) {
        emit(bus, "Tick", payload, size);
        long bursts_sent = (i + 1) / SIGNAL_BURST;
        while (paced && bursts_sent - acknowledged > BURSTS_IN_FLIGHT) {
            if ((r = sd_bus_process(bus, NULL)) < 0) die("process", r);
            if (r > 0) continue;
            if ((r = sd_bus_wait(bus, SUBSCRIBER_IDLE_TIMEOUT_MS * 1000ULL)) < 0 && r != -EINTR) die("wait", r);
            if (r == 0) paced = 0;
        }
    }
    emit(bus, "Done", payload, 0);
    ping_bus(bus);
    printf("{\"start_ns\": %llu, \"end_ns\": %llu, \"paced\": %d}\n", (unsigned long long)start,
           (unsigned long long)now_ns(), paced);
    sd_bus_flush_close_unref(bus);
}

/* ---- connections ---- */

static void run_connect(void) {
    size_t count = (size_t)option("count", 200);
    uint64_t *samples = calloc(count, sizeof *samples);
    for (size_t i = 0; i < count; i++) {
        uint64_t start = now_ns();
        sd_bus *bus = open_bus();
        samples[i] = now_ns() - start;
        sd_bus_flush_close_unref(bus);
    }
    print_latencies(samples, count);
}

/* ---- physical limits ---- */

static void read_exactly(int fd, char *buffer, size_t size) {
    for (size_t done = 0; done < size;) {
        ssize_t n = read(fd, buffer + done, size - done);
        if (n <= 0) die("read", n < 0 ? errno : EPIPE);
        done += (size_t)n;
    }
}

static void write_exactly(int fd, const char *buffer, size_t size) {
    for (size_t done = 0; done < size;) {
        ssize_t n = write(fd, buffer + done, size - done);
        if (n <= 0) die("write", n < 0 ? errno : EPIPE);
        done += (size_t)n;
    }
}

/* One round trip is one message each way between two processes, as a client and a server
 * would exchange directly with no bus in between. */
static void run_raw(void) {
    size_t size = (size_t)option("size", 128), count = (size_t)option("count", 10000), warmup = count / 10;
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) die("socketpair", errno);
    char *buffer = calloc(1, size);
    pid_t child = fork();
    if (child < 0) die("fork", errno);
    if (child == 0) {
        close(pair[0]);
        for (size_t i = 0; i < warmup + count; i++) {
            read_exactly(pair[1], buffer, size);
            write_exactly(pair[1], buffer, size);
        }
        _exit(0);
    }
    close(pair[1]);
    uint64_t *samples = calloc(count, sizeof *samples);
    for (size_t i = 0; i < warmup + count; i++) {
        uint64_t start = now_ns();
        write_exactly(pair[0], buffer, size);
        read_exactly(pair[0], buffer, size);
        if (i >= warmup) samples[i - warmup] = now_ns() - start;
    }
    waitpid(child, NULL, 0);
    print_latencies(samples, count);
}

/* One round trip is one byte each way through a pair of pipes: the cheapest wake-up between
 * two processes, the doorbell a ring transport would ring per message. */
static void run_pipe(void) {
    size_t count = (size_t)option("count", 10000), warmup = count / 10;
    int there[2], back[2];
    if (pipe2(there, O_CLOEXEC) < 0 || pipe2(back, O_CLOEXEC) < 0) die("pipe2", errno);
    char byte = 1;
    pid_t child = fork();
    if (child < 0) die("fork", errno);
    if (child == 0) {
        for (size_t i = 0; i < warmup + count; i++) {
            read_exactly(there[0], &byte, 1);
            write_exactly(back[1], &byte, 1);
        }
        _exit(0);
    }
    uint64_t *samples = calloc(count, sizeof *samples);
    for (size_t i = 0; i < warmup + count; i++) {
        uint64_t start = now_ns();
        write_exactly(there[1], &byte, 1);
        read_exactly(back[0], &byte, 1);
        if (i >= warmup) samples[i - warmup] = now_ns() - start;
    }
    waitpid(child, NULL, 0);
    print_latencies(samples, count);
}

/* memfd_create, ftruncate, pwrite of the payload, the four seals, close: the way
 * KDBusOutgoingPart.sealedMemfd makes a payload memfd (the fastest of the ways measured:
 * fallocate first, or copying through a mapping populated with MADV_POPULATE_WRITE or
 * MAP_POPULATE, were no faster). It bounds the "memfd per call" row from above. */
static void run_memfd(void) {
    size_t size = (size_t)option("size", 16 << 20), count = (size_t)option("count", 20);
    char *from = malloc(size);
    memset(from, 0x5a, size);
    const int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
    uint64_t start = 0;
    for (size_t i = 0; i <= count; i++) {
        if (i == 1) start = now_ns(); /* the first one warms the page allocator */
        int fd = memfd_create("bench-payload", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0) die("memfd_create", errno);
        if (ftruncate(fd, (off_t)size) < 0) die("ftruncate", errno);
        for (size_t done = 0; done < size;) {
            ssize_t n = pwrite(fd, from + done, size - done, (off_t)done);
            if (n <= 0) die("pwrite", n < 0 ? errno : EIO);
            done += (size_t)n;
        }
        if (fcntl(fd, F_ADD_SEALS, seals) < 0) die("F_ADD_SEALS", errno);
        close(fd);
    }
    double elapsed = (now_ns() - start) / 1e9;
    printf("{\"mib_per_s\": %.1f}\n", count * (double)size / (1 << 20) / elapsed);
}

static void run_memcpy(void) {
    size_t size = (size_t)option("size", 1 << 20), count = (size_t)option("count", 100);
    char *from = malloc(size), *to = malloc(size);
    memset(from, 0x5a, size);
    memset(to, 0, size);
    memcpy(to, from, size);
    uint64_t start = now_ns();
    for (size_t i = 0; i < count; i++) {
        from[i % size] = (char)i; /* keeps the copies from being merged */
        memcpy(to, from, size);
    }
    double elapsed = (now_ns() - start) / 1e9;
    printf("{\"mib_per_s\": %.1f, \"check\": %d}\n", count * (double)size / (1 << 20) / elapsed, to[0]);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: sdbus-client WORKLOAD ADDRESS [KEY=VALUE ...]\n");
        return 2;
    }
    argc_global = argc;
    argv_global = argv;
    address = argv[2];
    const char *workload = argv[1];
    if (strcmp(workload, "server") == 0) run_server();
    else if (strcmp(workload, "rtt") == 0) run_rtt();
    else if (strcmp(workload, "pipeline") == 0) run_pipeline();
    else if (strcmp(workload, "subscribe") == 0) run_subscribe();
    else if (strcmp(workload, "emit") == 0) run_emit();
    else if (strcmp(workload, "connect") == 0) run_connect();
    else if (strcmp(workload, "raw") == 0) run_raw();
    else if (strcmp(workload, "pipe") == 0) run_pipe();
    else if (strcmp(workload, "memcpy") == 0) run_memcpy();
    else if (strcmp(workload, "memfd") == 0) run_memfd();
    else { fprintf(stderr, "sdbus-client: unknown workload %s\n", workload); return 2; }
    return 0;
}
