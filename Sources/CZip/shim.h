#ifndef CZIP_SHIM_H
#define CZIP_SHIM_H
// libzip, as Debian's libzip-dev installs it (pkg-config: libzip).
#include <zip.h>
#endif
