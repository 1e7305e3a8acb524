// The built pg_safekeep tool refuses to restore as root: the data directory
// would be root's, and PostgreSQL does not start on it.
#include "temp_dir.h"
#include "os/process.h"

#include <gtest/gtest.h>
#include <unistd.h>

using namespace safekeep;
using safekeep::test::TempDir;

TEST(CliRestore, RefusesToRunAsRoot) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "only root can see the refusal";
    TempDir t;
    posix::make_dir(t / "repo", 0700);
    RunOptions o;
    o.capture = true;
    RunResult r = run_program(
        {SK_CLI_PATH, "restore", "--repo1-path=" + (t / "repo"), "--pgdata=" + (t / "pgdata")}, o);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("pg_safekeep restore must not run as root"), std::string::npos)
        << r.output;
    EXPECT_FALSE(posix::exists(t / "pgdata"));
}
