// gnuplot through gnuplot-iostream (Debian's libgnuplot-iostream-dev). gnuplot-iostream closes its pipe
// itself and reports a failure only as "pclose returned error" on std::cerr, so this file opens the pipe,
// hands gnuplot-iostream a duplicate of it, and closes the original to learn gnuplot's exit status; the
// command line sends gnuplot's standard error to a temporary file that becomes the error message.
#include "CGnuplot.h"

#include <gnuplot-iostream.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

std::string shell_quote(const std::string &text) {
    std::string quoted = "'";
    for (char c : text) {
        if (c == '\'') quoted += "'\\''";
        else quoted += c;
    }
    return quoted + "'";
}

void copy_message(const std::string &message, char *error, size_t capacity) {
    if (error == nullptr || capacity == 0) return;
    size_t n = message.size() < capacity - 1 ? message.size() : capacity - 1;
    std::memcpy(error, message.data(), n);
    error[n] = '\0';
}

std::string read_file(const char *path) {
    std::string text;
    if (FILE *f = std::fopen(path, "r")) {
        char buffer[4096];
        size_t n;
        while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) text.append(buffer, n);
        std::fclose(f);
    }
    return text;
}

}  // namespace

extern "C" int cgnuplot_run(const char *executable, const char *script, const char *working_directory,
                            char *error, size_t error_capacity) {
    copy_message("", error, error_capacity);
    // A gnuplot that dies early must not take the caller down with SIGPIPE; writes then just fail.
    std::signal(SIGPIPE, SIG_IGN);

    char stderr_path[] = "/tmp/gradlab-gnuplot-XXXXXX";
    int stderr_fd = mkstemp(stderr_path);
    if (stderr_fd < 0) {
        copy_message(std::string("cannot create a temporary file for gnuplot's messages: ") + std::strerror(errno),
                     error, error_capacity);
        return -1;
    }
    close(stderr_fd);

    std::string command = "cd " + shell_quote(working_directory ? working_directory : ".") +
                          " && exec " + shell_quote(executable) + " 2>" + shell_quote(stderr_path);
    FILE *pipe = popen(command.c_str(), "w");
    if (pipe == nullptr) {
        copy_message(std::string("cannot start gnuplot: ") + std::strerror(errno), error, error_capacity);
        unlink(stderr_path);
        return -1;
    }
    int duplicate = dup(fileno(pipe));
    FILE *stream = duplicate >= 0 ? fdopen(duplicate, "w") : nullptr;
    if (stream == nullptr) {
        copy_message(std::string("cannot duplicate gnuplot's pipe: ") + std::strerror(errno), error, error_capacity);
        if (duplicate >= 0) close(duplicate);
        pclose(pipe);
        unlink(stderr_path);
        return -1;
    }
    {
        Gnuplot gp(stream);  // closes `stream` (the duplicate) when it goes out of scope
        gp << script << "\n";
    }
    int status = pclose(pipe);
    std::string messages = read_file(stderr_path);
    unlink(stderr_path);
    copy_message(messages, error, error_capacity);
    if (status == -1) return -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
