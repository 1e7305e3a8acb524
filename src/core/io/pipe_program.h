// Runs a program from an argument vector with one end of a pipe streamed:
// its stdout into a Sink, or a producer's bytes into its stdin. Bounded
// buffers only, so a dump of any size never sits whole in memory.
#pragma once

#include "io/sink.h"
#include "os/parallel.h"

#include <functional>
#include <string>
#include <vector>

namespace safekeep {

struct PipeResult {
    int exit_code = 0;       // exit status, or 128 + signal number
    std::string diagnostics; // last 64 KiB the program wrote to stderr
};

// stdout -> out (finish() is not called); stdin is /dev/null.
PipeResult run_program_to_sink(const std::vector<std::string> &args, Sink &out,
                               const CancelPoll &cancel);

// Feeds the program's stdin: produce(sink) writes everything, then returns.
// stdout and stderr are both kept (tail) in PipeResult::diagnostics. If the
// program exits early, the rest of the input is discarded.
PipeResult run_program_from_source(const std::vector<std::string> &args,
                                   const std::function<void(Sink &)> &produce,
                                   const CancelPoll &cancel);

} // namespace safekeep
