#include "restore/promotion.h"

#include "os/files.h"
#include "util/error.h"
#include "os/stop.h"
#include "os/file_tail.h"

#include <chrono>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <thread>

namespace safekeep {

namespace {

// ControlFileData starts: uint64 system_identifier, uint32 pg_control_version,
// uint32 catalog_version_no, DBState (int) state.
constexpr size_t kVersionOffset = 8;
constexpr size_t kStateOffset = 16;
constexpr uint32_t kPg15ControlVersion = 1300;

// Line 8 of postmaster.pid: "starting", "standby", "ready" or "stopping";
// "" when the file is missing (the server stopped).
std::string postmaster_status(const std::string &pid_file) {
    std::string text;
    try {
        text = posix::read_file(pid_file);
    } catch (const Error &) {
        return "";
    }
    size_t pos = 0;
    for (int line = 1; line < 8 && pos != std::string::npos; line++) {
        pos = text.find('\n', pos);
        if (pos != std::string::npos)
            pos++;
    }
    if (pos == std::string::npos)
        return "starting";
    std::string status = text.substr(pos, text.find('\n', pos) - pos);
    while (!status.empty() && status.back() == ' ')
        status.pop_back();
    return status;
}

} // namespace

ClusterState read_cluster_state(const std::string &pgdata) {
    const std::string path = posix::join(pgdata, "global/pg_control");
    posix::Fd fd = posix::open_file(path, O_RDONLY);
    // The server rewrites the file with one write of 8 kB; the aligned
    // 4-byte field we read is either the old or the new value.
    unsigned char buf[kStateOffset + 4];
    if (posix::read_full(fd.get(), buf, sizeof buf, path) != sizeof buf)
        throw Error("\"" + path + "\" is too short for a pg_control file");
    uint32_t version;
    int32_t state;
    std::memcpy(&version, buf + kVersionOffset, sizeof version);
    std::memcpy(&state, buf + kStateOffset, sizeof state);
    if (version != kPg15ControlVersion)
        throw Error("\"" + path + "\" has pg_control version " + std::to_string(version) +
                    ", not PostgreSQL 15's " + std::to_string(kPg15ControlVersion));
    if (state < 0 || state > static_cast<int32_t>(ClusterState::InProduction))
        throw Error("\"" + path + "\" holds an unknown cluster state " + std::to_string(state));
    return static_cast<ClusterState>(state);
}

void wait_until_promoted(const std::string &pgdata, const std::string &log_path,
                         int timeout_seconds, const CancelPoll &cancel) {
    if (timeout_seconds < 1)
        timeout_seconds = 60;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    const std::string pid_file = posix::join(pgdata, "postmaster.pid");
    for (;;) {
        // pg_control says "in production" a moment before the postmaster
        // accepts connections ("ready"); a hot standby is "ready" long
        // before pg_control says so.  Promoted means both.
        std::string status = postmaster_status(pid_file);
        if (status == "ready" && read_cluster_state(pgdata) == ClusterState::InProduction)
            return;
        if (status.empty())
            throw Error("server in \"" + pgdata +
                        "\" stopped before it was promoted; end of log \"" + log_path + "\":\n" +
                        tail_lines(log_path, 20));
        if ((cancel && cancel()) || stop_requested())
            throw Canceled();
        if (std::chrono::steady_clock::now() >= deadline)
            throw Error("server in \"" + pgdata + "\" is still in recovery after " +
                        std::to_string(timeout_seconds) + " seconds; end of log \"" + log_path +
                        "\":\n" + tail_lines(log_path, 20));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

} // namespace safekeep
