#include "io/aes_gcm.h"
#include "repo/keyring.h"
#include "repo/passphrase_key_scope.h"
#include "storage/encrypted_storage.h"
#include "storage/posix_storage.h"
#include "error_of.h"
#include "temp_dir.h"
#include "util/error.h"

#include <gtest/gtest.h>

using namespace safekeep;
using safekeep::test::error_of;
using safekeep::test::TempDir;

namespace {

void write_passphrase(const std::string &path, const std::string &pass) {
    posix::write_file_atomic(path, pass.data(), pass.size(), false);
    ::chmod(path.c_str(), 0600);
}

std::shared_ptr<EncryptedStorage> encrypted_repo(const TempDir &t) {
    write_passphrase(t / "pass", "secret\n");
    posix::make_dir(t / "repo", 0700);
    auto plain = std::make_shared<PosixStorage>(t / "repo");
    auto enc =
        std::make_shared<EncryptedStorage>(plain, std::make_shared<PassphraseKeyScope>(t / "pass"));
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

// A backup's data key is an object in the backup's own directory: removing the
// directory (retention) removes the key, and repo.json never changes for it.
TEST(EncryptedStorage, BackupKeyLivesBesideItsData) {
    TempDir t;
    auto enc = encrypted_repo(t);
    auto plain = std::make_shared<PosixStorage>(t / "repo");
    const std::string repo_json = plain->read("1/repo.json");
    const std::string label = "20261122-000000F";
    enc->write("1/backup/" + label + "/backup.manifest", "m", 1);
    EXPECT_EQ(plain->read("1/repo.json"), repo_json);
    const std::string key_object = "1/backup/" + label + "/data.key";
    EXPECT_EQ(plain->read(key_object).size(), 121u); // 120 hex digits and a newline

    // Another process reads it back through the key object.
    auto other =
        std::make_shared<EncryptedStorage>(plain, std::make_shared<PassphraseKeyScope>(t / "pass"));
    EXPECT_EQ(other->read("1/backup/" + label + "/backup.manifest"), "m");

    // A tampered key object is named.
    std::string wrapped = plain->read(key_object);
    wrapped[10] = wrapped[10] == 'a' ? 'b' : 'a';
    plain->write(key_object, wrapped.data(), wrapped.size());
    auto third =
        std::make_shared<EncryptedStorage>(plain, std::make_shared<PassphraseKeyScope>(t / "pass"));
    std::string msg = error_of([&] { third->read("1/backup/" + label + "/backup.manifest"); });
    EXPECT_NE(msg.find(key_object), std::string::npos) << msg;
    EXPECT_NE(msg.find("authentication failed"), std::string::npos) << msg;

    // Retention removes the directory, and the key with it.
    enc->remove_tree("1/backup/" + label);
    EXPECT_FALSE(plain->exists(key_object));
    auto fourth =
        std::make_shared<EncryptedStorage>(plain, std::make_shared<PassphraseKeyScope>(t / "pass"));
    EXPECT_THROW(fourth->read("1/backup/" + label + "/backup.manifest"), NotFound);
}

// A rotation and a backup that starts its key meanwhile cannot lose each other's
// update: the backup never writes repo.json, the rotation never touches data keys.
TEST(EncryptedStorage, RotationDuringABackupKeepsBothUsable) {
    TempDir t;
    auto backup_process = encrypted_repo(t);
    auto plain = std::make_shared<PosixStorage>(t / "repo");
    backup_process->write("1/archive/0000000100000000/seg", "w", 1); // keyring now cached

    // The rotation, as rekey_repository does it: one write of repo.json.
    nlohmann::json j = nlohmann::json::parse(plain->read("1/repo.json"));
    j["cipher"] = Keyring(j["cipher"], "secret").rekey("rotated", KdfParams{"scrypt", 1024, 8, 1});
    std::string text = j.dump();
    plain->write("1/repo.json", text.data(), text.size());

    // The backup, still holding the keyring it unlocked before, adds its key.
    backup_process->write("1/backup/20261122-000000F/backup.manifest", "m", 1);

    write_passphrase(t / "new_pass", "rotated\n");
    auto after = std::make_shared<EncryptedStorage>(
        plain, std::make_shared<PassphraseKeyScope>(t / "new_pass"));
    EXPECT_EQ(after->read("1/backup/20261122-000000F/backup.manifest"), "m");
    EXPECT_EQ(after->read("1/archive/0000000100000000/seg"), "w");
    auto old =
        std::make_shared<EncryptedStorage>(plain, std::make_shared<PassphraseKeyScope>(t / "pass"));
    std::string msg = error_of([&] { old->read("1/archive/0000000100000000/seg"); });
    EXPECT_NE(msg.find("wrong passphrase"), std::string::npos) << msg;
}
