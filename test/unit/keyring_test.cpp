#include "repo/keyring.h"
#include "error_of.h"
#include "temp_dir.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

using namespace safekeep;
using safekeep::test::error_of;
using safekeep::test::TempDir;
using safekeep::test::write_text;

namespace {

// Small scrypt cost keeps the tests fast; one test runs the defaults.
const KdfParams kFast{"scrypt", 1u << 10, 8, 1};
const char *kWrong = "wrong passphrase for repository (key check failed)";

} // namespace

TEST(Keyring, CreateAndUnlock) {
    auto section = keyring_create("correct horse", kFast);
    EXPECT_EQ(section["format"], 2);
    EXPECT_EQ(section["algorithm"], "aes-256-gcm");
    EXPECT_EQ(section["kdf"]["name"], "scrypt");
    EXPECT_EQ(section["kdf"]["N"], 1024);
    EXPECT_EQ(section["kdf"]["r"], 8);
    EXPECT_EQ(section["kdf"]["p"], 1);
    EXPECT_EQ(section["kdf"]["salt"].get<std::string>().size(), 32u);
    EXPECT_EQ(section["key_check"].get<std::string>().size(), 64u);
    EXPECT_EQ(section["master_key"].get<std::string>().size(), 120u);
    EXPECT_EQ(section["keys"]["wal"].get<std::string>().size(), 120u);

    Keyring ring(section, "correct horse");
    EXPECT_TRUE(ring.has("wal"));
    EXPECT_FALSE(ring.has("20260101-010101F"));
    EXPECT_NE(ring.data_key("wal"), Key256{});
    EXPECT_THROW(ring.data_key("20260101-010101F"), NotFound);
    EXPECT_NE(keyring_create("correct horse", kFast)["kdf"]["salt"], section["kdf"]["salt"]);
}

TEST(Keyring, WrongPassphrase) {
    auto section = keyring_create("correct horse", kFast);
    EXPECT_EQ(error_of([&] { Keyring r(section, "correct hors"); }), kWrong);
    EXPECT_EQ(error_of([&] { Keyring r(section, ""); }), kWrong);
}

TEST(Keyring, WrappedDataKeysStableAcrossReload) {
    auto section = keyring_create("pw", kFast);
    Key256 wal, full = random_data_key(), incr = random_data_key();
    std::string full_w, incr_w;
    {
        Keyring ring(section, "pw");
        wal = ring.data_key("wal");
        full_w = ring.wrap("20260101-010101F", full);
        incr_w = ring.wrap("20260101-010101F_20260102-010101I", incr);
        EXPECT_EQ(full_w.size(), 120u);
        EXPECT_NE(ring.wrap("20260101-010101F", full), full_w); // fresh nonce each time
        EXPECT_THROW(ring.wrap("", full), Error);
    }
    EXPECT_NE(full, incr);
    Keyring again(nlohmann::json::parse(section.dump()), "pw");
    EXPECT_EQ(again.data_key("wal"), wal);
    EXPECT_EQ(again.unwrap("20260101-010101F", full_w), full);
    EXPECT_EQ(again.unwrap("20260101-010101F_20260102-010101I", incr_w), incr);
}

TEST(Keyring, WrappedKeysAreBoundToTheirNames) {
    auto section = keyring_create("pw", kFast);
    Keyring ring(section, "pw");
    std::string b1 = ring.wrap("b1", random_data_key());
    EXPECT_THROW(ring.unwrap("b2", b1), CorruptData);
    std::string msg = error_of([&] { ring.unwrap("b2", b1); });
    EXPECT_NE(msg.find("\"b2\""), std::string::npos) << msg;

    std::string flipped = b1;
    flipped[40] = flipped[40] == '0' ? '1' : '0';
    EXPECT_THROW(ring.unwrap("b1", flipped), CorruptData);
    msg = error_of([&] { ring.unwrap("b1", "not hex"); });
    EXPECT_NE(msg.find("wrapped data key \"b1\" is not 60 bytes of hex"), std::string::npos) << msg;

    auto swapped = section;
    swapped["keys"]["wal"] = b1;
    Keyring ring2(swapped, "pw");
    EXPECT_THROW(ring2.data_key("wal"), CorruptData);
}

TEST(Keyring, RekeyKeepsDataKeysAndRefusesOldPassphrase) {
    auto old_section = keyring_create("old pass", kFast);
    Key256 wal, b1 = random_data_key();
    std::string b1_wrapped;
    nlohmann::json new_section;
    {
        Keyring ring(old_section, "old pass");
        b1_wrapped = ring.wrap("b1", b1);
        wal = ring.data_key("wal");
        new_section = ring.rekey("new pass", KdfParams{"scrypt", 1u << 11, 8, 2});
    }
    EXPECT_NE(new_section["kdf"]["salt"], old_section["kdf"]["salt"]);
    EXPECT_EQ(new_section["kdf"]["N"], 2048);
    EXPECT_EQ(new_section["kdf"]["p"], 2);
    EXPECT_NE(new_section["master_key"], old_section["master_key"]);
    // Only the master key is re-wrapped: data keys, in repo.json or not, stay as they are.
    EXPECT_EQ(new_section["keys"], old_section["keys"]);

    Keyring fresh(new_section, "new pass");
    EXPECT_EQ(fresh.data_key("wal"), wal);
    EXPECT_EQ(fresh.unwrap("b1", b1_wrapped), b1);
    EXPECT_EQ(error_of([&] { Keyring r(new_section, "old pass"); }), kWrong);

    // Even past the verifier (old salt and check pasted in), the old passphrase
    // does not unwrap the new master key.
    auto forged = new_section;
    forged["kdf"] = old_section["kdf"];
    forged["key_check"] = old_section["key_check"];
    EXPECT_THROW(Keyring(forged, "old pass"), CorruptData);
}

// Data encrypted before a rotation stays readable after it.
TEST(Keyring, DataSurvivesRotation) {
    auto section = keyring_create("one", kFast);
    std::vector<uint8_t> msg = {'w', 'a', 'l'};
    std::vector<uint8_t> blob;
    nlohmann::json rotated;
    {
        Keyring ring(section, "one");
        blob = aes_gcm_encrypt(ring.data_key("wal"), msg.data(), msg.size());
        rotated = ring.rekey("two", kFast);
    }
    Keyring ring(rotated, "two");
    EXPECT_EQ(aes_gcm_decrypt(ring.data_key("wal"), blob.data(), blob.size(), "wal seg"), msg);
}

TEST(Keyring, OlderFormatRefusedByName) {
    auto section = keyring_create("pw", kFast);
    section["format"] = 1;
    std::string msg = error_of([&] { Keyring r(section, "pw"); });
    EXPECT_NE(msg.find("format 1"), std::string::npos) << msg;
    section["format"] = 7;
    msg = error_of([&] { Keyring r(section, "pw"); });
    EXPECT_NE(msg.find("unsupported format 7"), std::string::npos) << msg;
}

TEST(Keyring, DefaultParametersWork) {
    auto section = keyring_create("default cost");
    EXPECT_EQ(section["kdf"]["N"], 32768);
    Keyring ring(section, "default cost");
    EXPECT_TRUE(ring.has("wal"));
}

TEST(Keyring, BadSectionsAndParameters) {
    auto section = keyring_create("pw", kFast);
    auto bad_n = section;
    bad_n["kdf"]["N"] = 1000;
    EXPECT_NE(error_of([&] { Keyring r(bad_n, "pw"); }).find("invalid scrypt parameters"),
              std::string::npos);
    auto huge = section;
    huge["kdf"]["N"] = uint64_t(1) << 40;
    EXPECT_THROW(Keyring(huge, "pw"), Error);
    auto no_salt = section;
    no_salt["kdf"].erase("salt");
    EXPECT_NE(error_of([&] { Keyring r(no_salt, "pw"); }).find("cipher section is invalid"),
              std::string::npos);
    auto pbkdf = section;
    pbkdf["kdf"]["name"] = "md5";
    EXPECT_THROW(Keyring(pbkdf, "pw"), Error);
    EXPECT_THROW(keyring_create("", kFast), Error);
    EXPECT_THROW(keyring_create("pw", KdfParams{"scrypt", 3, 8, 1}), Error);
}

TEST(Keyring, PassphraseFile) {
    TempDir t;
    const std::string f = t / "pass";
    write_text(f, "s3cret\n");
    ::chmod(f.c_str(), 0600);
    EXPECT_EQ(read_passphrase_file(f), "s3cret");

    write_text(f, "two newlines\n\n"); // only one is stripped
    ::chmod(f.c_str(), 0400);
    EXPECT_EQ(read_passphrase_file(f), "two newlines\n");

    write_text(f, "no newline");
    ::chmod(f.c_str(), 0644);
    std::string msg = error_of([&] { read_passphrase_file(f); });
    EXPECT_NE(msg.find(f), std::string::npos) << msg;
    EXPECT_NE(msg.find("group or others"), std::string::npos) << msg;
    ::chmod(f.c_str(), 0600);
    EXPECT_EQ(read_passphrase_file(f), "no newline");

    write_text(f, "\n");
    ::chmod(f.c_str(), 0600);
    msg = error_of([&] { read_passphrase_file(f); });
    EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
    EXPECT_NE(msg.find(f), std::string::npos) << msg;

    msg = error_of([&] { read_passphrase_file(t / "missing"); });
    EXPECT_NE(msg.find(t / "missing"), std::string::npos) << msg;
    EXPECT_NE(msg.find("No such file"), std::string::npos) << msg;
}
