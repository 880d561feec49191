// OpenBLAS's CBLAS interface, from Debian's libopenblas-dev (installed by `make setup`).
#include <cblas.h>
