// The process-wide stop poll (os/stop.h) as the shim uses it on postmaster
// death: waits on child processes kill the child and throw Canceled, a
// StopShield lets clean-up run its waits to the end, and the launcher's
// scratch cleanup skips a directory whose instance is still in use.
#include "io/sink.h"
#include "scratch/cleanup.h"
#include "os/files.h"
#include "temp_dir.h"
#include "util/error.h"
#include "io/pipe_program.h"
#include "os/process.h"
#include "os/stop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

using namespace safekeep;
using safekeep::test::TempDir;

namespace {

std::atomic<int> g_stop{0};
int test_poll() {
    return g_stop.load();
}

// Registers the test poll for one test and always unregisters it.
class StopTest : public ::testing::Test {
  protected:
    void SetUp() override {
        g_stop = 0;
        set_stop_poll(test_poll);
    }
    void TearDown() override {
        set_stop_poll(nullptr);
        g_stop = 0;
    }
    TempDir dir;
};

// The pid a shell wrote to path (waits for the file, bounded).
pid_t pid_written_to(const std::string &path) {
    for (int i = 0; i < 1000; i++) {
        if (posix::exists(path)) {
            std::string s = posix::read_file(path);
            if (!s.empty() && s.back() == '\n')
                return static_cast<pid_t>(std::stol(s));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
}

// Sets the stop flag once the child has written its pid; returns that pid.
std::thread stop_when_started(const std::string &pidfile, pid_t &pid) {
    return std::thread([&pid, pidfile] {
        pid = pid_written_to(pidfile);
        g_stop = 1;
    });
}

bool process_exists(pid_t pid) {
    return ::kill(pid, 0) == 0 || errno != ESRCH;
}

class NullSink : public Sink {
  public:
    void write(const uint8_t *, size_t) override {}
};

} // namespace

TEST_F(StopTest, PollIsOffWithoutRegistrationAndInsideAShield) {
    g_stop = 1;
    EXPECT_TRUE(stop_requested());
    EXPECT_THROW(check_stop(), Canceled);
    {
        StopShield shield;
        EXPECT_FALSE(stop_requested());
        EXPECT_FALSE(stop_watched());
    }
    EXPECT_TRUE(stop_requested());
    set_stop_poll(nullptr);
    EXPECT_FALSE(stop_requested());
    EXPECT_FALSE(stop_watched());
}

TEST_F(StopTest, RunProgramKillsTheChildOnStop) {
    // No RunOptions::cancel: only the process-wide poll can end this wait.
    std::string pidfile = dir / "pid";
    pid_t pid = -1;
    std::thread t = stop_when_started(pidfile, pid);
    EXPECT_THROW(run_program({"/bin/sh", "-c", "echo $$ > " + pidfile + "; exec sleep 600"}),
                 Canceled);
    t.join();
    ASSERT_GT(pid, 0);
    EXPECT_FALSE(process_exists(pid)) << "child " << pid << " outlived the stop";
}

TEST_F(StopTest, RunProgramWithCaptureKillsTheChildOnStop) {
    std::string pidfile = dir / "pid";
    pid_t pid = -1;
    std::thread t = stop_when_started(pidfile, pid);
    RunOptions o;
    o.capture = true;
    EXPECT_THROW(run_program({"/bin/sh", "-c", "echo $$ > " + pidfile + "; exec sleep 600"}, o),
                 Canceled);
    t.join();
    ASSERT_GT(pid, 0);
    EXPECT_FALSE(process_exists(pid));
}

TEST_F(StopTest, PipedProgramIsKilledOnStopWhileSilentAndAfterItsOutput) {
    NullSink sink;
    // Silent: we wait for its output.
    std::string pidfile = dir / "pid1";
    pid_t pid = -1;
    std::thread t = stop_when_started(pidfile, pid);
    EXPECT_THROW(run_program_to_sink({"/bin/sh", "-c", "echo $$ > " + pidfile + "; exec sleep 600"},
                                     sink, {}),
                 Canceled);
    t.join();
    ASSERT_GT(pid, 0);
    EXPECT_FALSE(process_exists(pid));

    // Output closed, the program runs on (pg_restore building indexes): we
    // wait for its exit.
    g_stop = 0;
    pidfile = dir / "pid2";
    t = stop_when_started(pidfile, pid);
    EXPECT_THROW(
        run_program_from_source({"/bin/sh", "-c", "echo $$ > " + pidfile + "; exec sleep 600"},
                                [](Sink &) {}, {}),
        Canceled);
    t.join();
    ASSERT_GT(pid, 0);
    EXPECT_FALSE(process_exists(pid));
}

TEST_F(StopTest, ShieldedCleanupRunsItsProgramsToTheEnd) {
    g_stop = 1;
    EXPECT_THROW(run_program({"/bin/sleep", "600"}), Canceled);
    StopShield shield;
    EXPECT_EQ(run_program({"/bin/sh", "-c", "sleep 0.3; exit 7"}).exit_code, 7);
}

TEST_F(StopTest, SleepOrStopEndsOnStop) {
    std::thread t([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        g_stop = 1;
    });
    // A 600 s backoff (an S3 retry) ends once the poll says stop.
    EXPECT_THROW(sleep_or_stop(std::chrono::seconds(600)), Canceled);
    t.join();
    set_stop_poll(nullptr);
    sleep_or_stop(std::chrono::milliseconds(1)); // no poll: just sleeps
}

TEST(ScratchCleanupLock, SkipsADirectoryInUse) {
    TempDir t;
    std::string root = t / "scratch";
    posix::make_dirs(root + "/table-7-aaaaaa/pgdata", 0700);
    posix::make_dirs(root + "/table-8-bbbbbb/pgdata", 0700);
    int held = lock_scratch_dir(root + "/table-7-aaaaaa");
    // The other one's process died: its lock file is there, unlocked.
    ::close(lock_scratch_dir(root + "/table-8-bbbbbb"));

    EXPECT_EQ(cleanup_scratch(root, "/nonexistent/bin"), 1);
    EXPECT_TRUE(posix::exists(root + "/table-7-aaaaaa/pgdata"));
    EXPECT_FALSE(posix::exists(root + "/table-8-bbbbbb"));

    ::close(held); // its process ends: now it is a leftover
    EXPECT_EQ(cleanup_scratch(root, "/nonexistent/bin"), 1);
    EXPECT_FALSE(posix::exists(root + "/table-7-aaaaaa"));
}
