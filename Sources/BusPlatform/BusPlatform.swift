// BusPlatform: Linux I/O (descriptors, sockets, epoll, timers, memfd).
