#ifndef COPENBLAS_SHIM_H
#define COPENBLAS_SHIM_H
// OpenBLAS's CBLAS interface, as Debian's libopenblas-dev installs it
// (pkg-config: openblas, which adds the include folder of cblas.h).
#include <cblas.h>
#endif
