// GradLab's facade over gnuplot-iostream: a plain C interface, so no Swift module needs C++ interop.
#ifndef GRADLAB_CGNUPLOT_H
#define GRADLAB_CGNUPLOT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Runs `executable` (a program name looked up on PATH, or a path) in `working_directory` and feeds it
/// `script` through gnuplot-iostream's pipe.
///
/// Returns 0 when gnuplot exited with status 0; otherwise gnuplot's exit status (127 when the shell
/// could not find the program, 126 when it is not executable), or -1 when the pipe could not be opened.
/// Whatever gnuplot wrote to its standard error is copied, NUL-terminated and cut to `error_capacity`,
/// into `error` in both cases (gnuplot reports some problems as warnings and still exits 0).
int cgnuplot_run(const char *executable, const char *script, const char *working_directory,
                 char *error, size_t error_capacity);

#ifdef __cplusplus
}
#endif

#endif
