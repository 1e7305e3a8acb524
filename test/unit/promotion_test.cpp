#include "restore/promotion.h"
#include "temp_dir.h"
#include "util/error.h"

#include <cstdint>
#include <cstring>
#include <gtest/gtest.h>
#include <string>
#include <thread>

using namespace safekeep;
using safekeep::test::TempDir;
using safekeep::test::write_text;

namespace {

// The start of a PostgreSQL 15 pg_control file (8 kB in all).
void write_control(const TempDir &pgdata, uint32_t version, int32_t state) {
    std::string buf(8192, '\0');
    uint64_t sysid = 7710844028092856650ULL;
    uint32_t catversion = 202209061;
    std::memcpy(&buf[0], &sysid, 8);
    std::memcpy(&buf[8], &version, 4);
    std::memcpy(&buf[12], &catversion, 4);
    std::memcpy(&buf[16], &state, 4);
    write_text(pgdata / "global/pg_control", buf);
}

} // namespace

TEST(Promotion, ReadsClusterState) {
    TempDir pgdata;
    write_control(pgdata, 1300, 5);
    EXPECT_EQ(read_cluster_state(pgdata.path()), ClusterState::InArchiveRecovery);
    write_control(pgdata, 1300, 6);
    EXPECT_EQ(read_cluster_state(pgdata.path()), ClusterState::InProduction);
    write_control(pgdata, 1201, 6); // PostgreSQL 12's layout
    EXPECT_THROW(read_cluster_state(pgdata.path()), Error);
    write_control(pgdata, 1300, 42);
    EXPECT_THROW(read_cluster_state(pgdata.path()), Error);
    TempDir empty;
    EXPECT_THROW(read_cluster_state(empty.path()), Error);
}

// A hot standby is "ready" in postmaster.pid before pg_control says "in
// production"; pg_control says so a moment before the postmaster is "ready".
TEST(Promotion, WaitsForProduction) {
    TempDir pgdata;
    const std::string pid_lines = "123\n/data\n1700000000\n5432\n/tmp\n*\n42 7\n";
    write_control(pgdata, 1300, 5);
    write_text(pgdata / "postmaster.pid", pid_lines + "standby\n");
    std::thread promote([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        write_text(pgdata / "postmaster.pid", pid_lines + "ready\n");
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        write_control(pgdata, 1300, 6);
    });
    auto begun = std::chrono::steady_clock::now();
    EXPECT_NO_THROW(wait_until_promoted(pgdata.path(), pgdata / "log", 10));
    promote.join();
    EXPECT_GE(std::chrono::steady_clock::now() - begun, std::chrono::milliseconds(250));
}

TEST(Promotion, ServerStopsOrTimesOut) {
    TempDir pgdata;
    write_control(pgdata, 1300, 5);
    write_text(pgdata / "server.log", "LOG:  something went wrong\n");
    try {
        wait_until_promoted(pgdata.path(), pgdata / "server.log", 10);
        FAIL() << "no error without postmaster.pid";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("something went wrong"), std::string::npos)
            << e.what();
    }
    write_text(pgdata / "postmaster.pid", "123\n");
    try {
        wait_until_promoted(pgdata.path(), pgdata / "server.log", 1);
        FAIL() << "no timeout";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("still in recovery"), std::string::npos) << e.what();
    }
}
