// Descriptor Duplication
//
// The raw fd calls the routing path needs, in one place.
import Glibc

/// A close-on-exec duplicate of `raw` for one receiver, or -1 (see `currentErrno`).
func duplicateDescriptor(_ raw: CInt) -> CInt { fcntl(raw, F_DUPFD_CLOEXEC, CInt(0)) }

@discardableResult
func closeDescriptor(_ raw: CInt) -> CInt { Glibc.close(raw) }

func currentErrno() -> CInt { errno }
