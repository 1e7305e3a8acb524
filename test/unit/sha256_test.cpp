#include "io/sha256.h"

#include <gtest/gtest.h>
#include <string>

using namespace safekeep;

TEST(Sha256, KnownVectors) {
    EXPECT_EQ(sha256_hex("", 0),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc", 3),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    EXPECT_EQ(sha256_hex(two.data(), two.size()),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, MillionAsIncremental) {
    Sha256 h;
    std::string chunk(1000, 'a');
    for (int i = 0; i < 1000; i++)
        h.update(chunk.data(), chunk.size());
    EXPECT_EQ(h.final_hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    h.reset();
    h.update("abc", 3);
    EXPECT_EQ(h.final_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, FilterPassesBytesThrough) {
    std::vector<uint8_t> out;
    VectorSink sink(out);
    Sha256 h;
    Sha256Filter f(h, sink);
    f.write(reinterpret_cast<const uint8_t *>("ab"), 2);
    f.write(reinterpret_cast<const uint8_t *>("c"), 1);
    f.finish();
    EXPECT_EQ(std::string(out.begin(), out.end()), "abc");
    EXPECT_EQ(h.final_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
