#include "util/error.h"
#include "os/process.h"

#include <chrono>
#include <csignal>
#include <gtest/gtest.h>
#include <pthread.h>

using namespace safekeep;

namespace {

RunResult sh(const std::string &script, RunOptions o = {}) {
    return run_program({"/bin/sh", "-c", script}, o);
}

RunOptions capturing() {
    RunOptions o;
    o.capture = true;
    return o;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

} // namespace

TEST(RunProgram, ExitCodes) {
    EXPECT_EQ(run_program({"/bin/true"}).exit_code, 0);
    EXPECT_EQ(run_program({"/bin/false"}).exit_code, 1);
    EXPECT_EQ(sh("exit 3").exit_code, 3);
    EXPECT_EQ(sh("kill -9 $$").exit_code, 128 + 9);
    // The same with the polling wait.
    RunOptions o;
    o.timeout_seconds = 10;
    EXPECT_EQ(sh("exit 4", o).exit_code, 4);
    EXPECT_EQ(sh("exit 5", capturing()).exit_code, 5);
}

TEST(RunProgram, CapturesStdoutAndStderr) {
    RunResult r = sh("echo out; echo err >&2; echo more", capturing());
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.output, "out\nerr\nmore\n");
    EXPECT_FALSE(r.truncated);
    // Without capture the output is not collected.
    EXPECT_EQ(run_program({"/bin/echo", "hi"}).output, "");
    // stdin is /dev/null: cat ends at once.
    EXPECT_EQ(run_program({"/bin/cat"}, capturing()).output, "");
}

TEST(RunProgram, KeepsTheLastBytes) {
    RunOptions o = capturing();
    o.capture_limit = 1000;
    RunResult r = sh("seq 1 100000", o);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_TRUE(r.truncated);
    ASSERT_EQ(r.output.size(), 1000u);
    EXPECT_EQ(r.output.substr(r.output.size() - 13), "99999\n100000\n");
}

TEST(RunProgram, TimeoutKills) {
    RunOptions o = capturing();
    o.timeout_seconds = 1;
    auto t0 = std::chrono::steady_clock::now();
    try {
        sh("echo waiting; exec sleep 30", o);
        FAIL();
    } catch (const Error &e) {
        std::string m = e.what();
        EXPECT_NE(m.find("\"/bin/sh\" did not finish within 1 seconds and was killed"),
                  std::string::npos)
            << m;
        EXPECT_NE(m.find("waiting"), std::string::npos) << m;
    }
    EXPECT_LT(seconds_since(t0), 5);
    // Also without capture.
    o.capture = false;
    EXPECT_THROW(run_program({"/bin/sleep", "30"}, o), Error);
}

TEST(RunProgram, BackgroundChildHoldingThePipe) {
    // The program exits while a child it started keeps the pipe open: the
    // call returns when the program does.
    auto t0 = std::chrono::steady_clock::now();
    RunResult r = sh("sleep 5 & echo started", capturing());
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.output, "started\n");
    EXPECT_LT(seconds_since(t0), 3);
}

TEST(RunProgram, Cancel) {
    auto t0 = std::chrono::steady_clock::now();
    RunOptions o;
    o.cancel = [&] { return seconds_since(t0) > 0.3; };
    EXPECT_THROW(run_program({"/bin/sleep", "30"}, o), Canceled);
    EXPECT_LT(seconds_since(t0), 3);
    o.capture = true;
    t0 = std::chrono::steady_clock::now();
    EXPECT_THROW(run_program({"/bin/sleep", "30"}, o), Canceled);
    EXPECT_LT(seconds_since(t0), 3);
}

TEST(RunProgram, MissingProgram) {
    try {
        run_program({"/nonexistent/pg_dump", "-V"}, capturing());
        FAIL();
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("could not run \"/nonexistent/pg_dump\""),
                  std::string::npos)
            << e.what();
    }
    EXPECT_THROW(run_program({}), Error);
}

TEST(RunProgram, ChildHasEmptySignalMask) {
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    RunResult r = sh("grep SigBlk /proc/self/status", capturing());
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    EXPECT_EQ(r.output, "SigBlk:\t0000000000000000\n");
}
