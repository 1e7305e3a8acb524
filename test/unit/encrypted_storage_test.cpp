#include "io/aes_gcm.h"
#include "storage/encrypted_storage.h"
#include "storage/posix_storage.h"
#include "temp_dir.h"
#include "util/error.h"

#include <gtest/gtest.h>

using namespace safekeep;
using safekeep::test::TempDir;

namespace {

std::shared_ptr<EncryptedStorage> encrypted_repo(const TempDir &t) {
    posix::write_file_atomic(t / "pass", "secret\n", 7, false);
    ::chmod((t / "pass").c_str(), 0600);
    posix::make_dir(t / "repo", 0700);
    auto plain = std::make_shared<PosixStorage>(t / "repo");
    auto enc = std::make_shared<EncryptedStorage>(plain, t / "pass");
    nlohmann::json j = {{"system_id", "1"}, {"cipher", enc->new_cipher_section()}};
    std::string text = j.dump();
    plain->write("1/repo.json", text.data(), text.size());
    return enc;
}

} // namespace

// Verification compares listed sizes with what manifests record (the bytes
// before encryption): physical_size() must predict the encrypted size exactly.
TEST(EncryptedStorage, PhysicalSizeMatchesWhatIsStored) {
    TempDir t;
    auto enc = encrypted_repo(t);
    for (size_t n : {size_t(0), size_t(13), kGcmChunkSize - 1, kGcmChunkSize, kGcmChunkSize + 1,
                     3 * kGcmChunkSize}) {
        std::vector<uint8_t> data(n, 0x5a);
        const std::string key = "1/backup/20261122-000000F/data/f" + std::to_string(n);
        auto w = enc->create(key);
        w->write(data.data(), data.size());
        w->finish();
        w->commit();
        EXPECT_EQ(w->bytes(), n) << "writers report the bytes before encryption";
        auto listed = enc->list("1/backup/20261122-000000F/data");
        uint64_t stored = 0;
        for (const auto &o : listed)
            if (o.key == "f" + std::to_string(n))
                stored = o.size;
        EXPECT_EQ(stored, enc->physical_size(n)) << n << " bytes";
        EXPECT_EQ(enc->read(key), std::string(data.begin(), data.end()));
    }
}
