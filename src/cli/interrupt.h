// Ctrl-C and SIGTERM for long-running subcommands: the core polls
// cancel_requested() and stops cleanly instead of being killed mid-write.
#pragma once

namespace safekeep::cli {

// Routes SIGINT and SIGTERM to a flag that cancel_requested() reports.
void catch_interrupts();
// An sk_cancel_fn for the core.
int cancel_requested();

} // namespace safekeep::cli
