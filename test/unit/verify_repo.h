// A repository with a small data directory, for the verify and expire tests:
// backups through the C interface, WAL pushes, verify as JSON.
#pragma once

#include "format/lsn.h"
#include "format/wal_name.h"
#include "os/files.h"
#include "pg_safekeep/capi.h"
#include "temp_dir.h"
#include "test_config.h"
#include "wal_segment.h"

#include <cstdio>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>

// Named (not anonymous): both test files' TEST_F(Repo, ...) share this fixture.
namespace safekeep::test {

using nlohmann::json;

inline std::string page(uint64_t lsn, char fill) {
    std::string p(8192, fill);
    for (int i = 0; i < 4; i++) {
        p[i] = static_cast<char>((lsn >> 32) >> (8 * i));
        p[4 + i] = static_cast<char>(static_cast<uint32_t>(lsn) >> (8 * i));
    }
    return p;
}

inline std::string seg(uint64_t n) {
    return wal_segment_name(1, n);
}

class Repo : public ::testing::Test {
  protected:
    TempDir t;
    std::string pgdata, repo;
    sk_config cfg{};

    void SetUp() override {
        pgdata = t / "pgdata";
        repo = t / "repo";
        posix::make_dir(repo, 0700);
        cfg = safekeep::test::posix_config(repo.c_str(), "", 3, 2);
        write_text(pgdata + "/PG_VERSION", "15\n");
        write_text(pgdata + "/global/pg_control", std::string(512, 'c'));
        write_text(pgdata + "/global/1262", page(0x500000, 'A') + page(0x500000, 'B'));
        write_text(pgdata + "/base/1/16384", page(0x500000, 'a') + page(0x500000, 'b'));
    }

    // A backup whose WAL is segment n (start 0/n000028).
    std::string backup(const char *type, uint64_t n) {
        char lsn[32], stop[32];
        std::snprintf(lsn, sizeof lsn, "0/%llX", (unsigned long long)(n * kWalSegmentSize + 0x28));
        std::snprintf(stop, sizeof stop, "0/%llX",
                      (unsigned long long)(n * kWalSegmentSize + 0x1000));
        std::string lf = std::string("START WAL LOCATION: ") + lsn + " (file " + seg(n) +
                         ")\nSTART TIMELINE: 1\n";
        sk_msg msg{};
        sk_backup_start start{};
        start.pgdata = pgdata.c_str();
        start.system_id = 7001;
        start.pg_version = 150018;
        start.type = type;
        sk_backup *b = sk_backup_begin(&cfg, &start, &msg);
        EXPECT_NE(b, nullptr) << msg.text;
        if (!b)
            return "";
        EXPECT_EQ(sk_backup_copy(b, nullptr, nullptr, &msg), SK_OK) << msg.text;
        sk_backup_stop st{lsn, stop, lf.c_str(), "", 1795311045, 1795311060, nullptr};
        sk_backup_result res{};
        EXPECT_EQ(sk_backup_finish(b, &st, &res, &msg), SK_OK) << msg.text;
        std::string label = sk_backup_label(b);
        sk_backup_free(b);
        return label;
    }

    static std::string segment_bytes(uint64_t n, uint64_t pageaddr_segno, uint32_t tli = 1) {
        return safekeep::test::wal_segment_bytes(wal_segment_name(tli, n), 7001,
                                                 "segment " + std::to_string(n),
                                                 static_cast<int64_t>(pageaddr_segno));
    }

    void push(uint64_t n) { push_bytes(n, segment_bytes(n, n)); }

    void push_bytes(uint64_t n, const std::string &bytes) {
        write_text(t / "wal", bytes);
        sk_msg msg{};
        ASSERT_EQ(sk_archive_push(&cfg, 7001, 150018, seg(n).c_str(), (t / "wal").c_str(), &msg),
                  SK_OK)
            << msg.text;
    }

    json verify(const std::string &label, bool to_newest = false, int expect_rc = SK_OK) {
        char *out = nullptr;
        sk_msg msg{};
        int rc = sk_verify_backup(&cfg, label.empty() ? nullptr : label.c_str(), to_newest ? 1 : 0,
                                  nullptr, &out, &msg);
        EXPECT_EQ(rc, expect_rc) << msg.text;
        if (rc != SK_OK)
            return json(msg.text);
        json j = json::parse(out);
        sk_free(out);
        return j;
    }

    std::string object(const std::string &label, const std::string &rel) {
        return repo + "/7001/backup/" + label + "/data/" + rel + ".zst";
    }
};

} // namespace safekeep::test
