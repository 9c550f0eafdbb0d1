// CSwiftBusShims: what Glibc does not export to Swift. One-line wrappers, prefixed
// `csb_`, no logic. Swift targets above this never `#if` on the C library.
#ifndef CSWIFTBUSSHIMS_H
#define CSWIFTBUSSHIMS_H

#include <stddef.h>
#include <stdint.h>

#endif
