#include "io/direct_sink.h"
#include "temp_dir.h"
#include "util/error.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

using namespace safekeep;
using safekeep::test::TempDir;

namespace {

std::string pattern(size_t len) {
    std::string s(len, '\0');
    for (size_t i = 0; i < len; i++)
        s[i] = static_cast<char>((i * 131 + i / 4099) & 0xff);
    return s;
}

void write_in_pieces(DirectFileSink &sink, const std::string &data, size_t piece) {
    for (size_t off = 0; off < data.size(); off += piece) {
        size_t n = std::min(piece, data.size() - off);
        sink.write(reinterpret_cast<const uint8_t *>(data.data() + off), n);
    }
    sink.finish();
    sink.close();
}

} // namespace

TEST(DirectFileSink, UnalignedSizesRoundTripExactly) {
    TempDir t;
    // Empty, below one block, one block, across the 1 MiB buffer, odd tail.
    for (size_t len :
         {size_t(0), size_t(1), size_t(4096), size_t(8192 * 3), size_t((3u << 20) + 123)}) {
        std::string path = t / ("f" + std::to_string(len));
        std::string data = pattern(len);
        DirectFileSink sink(path, 0600);
        write_in_pieces(sink, data, 70001);
        EXPECT_EQ(sink.bytes(), len);
        EXPECT_EQ(posix::read_file(path), data) << "length " << len;
        struct stat st;
        ASSERT_EQ(::stat(path.c_str(), &st), 0);
        EXPECT_EQ(static_cast<size_t>(st.st_size), len);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
    }
}

TEST(DirectFileSink, RefusesToReplaceAnExistingFile) {
    TempDir t;
    std::string path = t / "exists";
    safekeep::test::write_text(path, "keep me");
    EXPECT_THROW(DirectFileSink(path, 0600), Error);
    EXPECT_EQ(posix::read_file(path), "keep me");
}
