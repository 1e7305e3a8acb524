#include "interrupt.h"

#include <csignal>

namespace safekeep::cli {

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) {
    g_stop = 1;
}

} // namespace

void catch_interrupts() {
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
}

int cancel_requested() {
    return g_stop;
}

} // namespace safekeep::cli
