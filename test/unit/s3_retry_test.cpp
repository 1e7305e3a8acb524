// The S3 client's retry and resume rules against a scripted HTTP server on
// loopback: each connection gets the next canned answer, then is closed.
#include "s3_test_dir.h"
#include "storage/s3/client.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <csignal>
#include <deque>
#include <mutex>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace safekeep;
using namespace safekeep::s3;

namespace {

class ScriptedServer {
  public:
    explicit ScriptedServer(std::deque<std::string> answers) : answers_(std::move(answers)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr *>(&a), len) != 0 ||
            ::listen(fd_, 16) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr *>(&a), &len) != 0)
            throw std::runtime_error("cannot listen on loopback");
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~ScriptedServer() {
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
    }
    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
    // Request heads (request line and headers) in arrival order.
    std::vector<std::string> requests() {
        std::lock_guard<std::mutex> g(mu_);
        return requests_;
    }

  private:
    void serve() {
        for (;;) {
            int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0)
                return;
            std::string req;
            char buf[4096];
            size_t head_end;
            while ((head_end = req.find("\r\n\r\n")) == std::string::npos) {
                ssize_t n = ::read(c, buf, sizeof buf);
                if (n <= 0)
                    break;
                req.append(buf, static_cast<size_t>(n));
            }
            // Read the body too: closing with unread data would reset the
            // connection under the client before it reads our answer.
            size_t want = 0, cl = req.find("Content-Length: ");
            if (cl != std::string::npos && cl < head_end)
                want = std::stoul(req.substr(cl + 16));
            while (head_end != std::string::npos && req.size() < head_end + 4 + want) {
                ssize_t n = ::read(c, buf, sizeof buf);
                if (n <= 0)
                    break;
                req.append(buf, static_cast<size_t>(n));
            }
            std::string answer;
            {
                std::lock_guard<std::mutex> g(mu_);
                requests_.push_back(req.substr(0, head_end));
                if (!answers_.empty()) {
                    answer = answers_.front();
                    answers_.pop_front();
                }
            }
            if (!answer.empty())
                (void)!::write(c, answer.data(), answer.size());
            ::shutdown(c, SHUT_RDWR);
            ::close(c);
        }
    }

    int fd_ = -1;
    int port_ = 0;
    std::thread thread_;
    std::mutex mu_;
    std::deque<std::string> answers_;
    std::vector<std::string> requests_;
};

std::string answer(int status, const std::string &reason, const std::string &body,
                   const std::string &extra = "") {
    return "HTTP/1.1 " + std::to_string(status) + " " + reason +
           "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           extra + "\r\n" + body;
}

std::string s3_error(const std::string &code, const std::string &msg) {
    return "<?xml version=\"1.0\"?><Error><Code>" + code + "</Code><Message>" + msg +
           "</Message></Error>";
}

Settings quick(const ScriptedServer &srv) {
    Settings s =
        test::quick_settings(srv.endpoint(), "bkt", "pre", 1024, {"AKID", "SECRET", "TOKEN"});
    s.upload_threads = 2;
    return s;
}

} // namespace

TEST(S3Retry, ServerErrorsAndThrottlingAreRetried) {
    ScriptedServer srv({answer(503, "Slow Down", s3_error("SlowDown", "Reduce your request rate.")),
                        answer(429, "Too Many Requests", ""), answer(200, "OK", "payload")});
    Client c(quick(srv));
    sigset_t before, after;
    pthread_sigmask(SIG_SETMASK, nullptr, &before);
    auto got = c.get("k");
    pthread_sigmask(SIG_SETMASK, nullptr, &after);
    EXPECT_EQ(std::string(got.begin(), got.end()), "payload");
    for (int sig = 1; sig < NSIG; sig++) // the caller's signal mask is left as it was
        EXPECT_EQ(sigismember(&before, sig), sigismember(&after, sig)) << sig;
    auto reqs = srv.requests();
    ASSERT_EQ(reqs.size(), 3u);
    EXPECT_EQ(reqs[0].rfind("GET /bkt/pre/k HTTP/1.1\r\n", 0), 0u) << reqs[0];
    EXPECT_NE(reqs[0].find("x-amz-security-token: TOKEN\r\n"), std::string::npos);
    EXPECT_NE(
        reqs[0].find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token"),
        std::string::npos);
}

TEST(S3Retry, GivesUpAfterMaxAttemptsNamingTheLastError) {
    ScriptedServer srv({answer(500, "Internal", s3_error("InternalError", "boom 1")),
                        answer(500, "Internal", s3_error("InternalError", "boom 2")),
                        answer(503, "Slow Down", s3_error("SlowDown", "slow"))});
    Client c(quick(srv));
    try {
        c.put("x y", reinterpret_cast<const uint8_t *>("abc"), 3);
        FAIL() << "no error";
    } catch (const Error &e) {
        EXPECT_STREQ(e.what(),
                     "S3 PUT s3://bkt/pre/x y failed after 3 attempts: 503 SlowDown: slow");
    }
    EXPECT_EQ(srv.requests().size(), 3u);
    EXPECT_EQ(srv.requests()[0].rfind("PUT /bkt/pre/x%20y HTTP/1.1\r\n", 0), 0u);
}

TEST(S3Retry, ClientErrorsAreNotRetried) {
    ScriptedServer srv({answer(403, "Forbidden", s3_error("AccessDenied", "Access Denied")),
                        answer(200, "OK", "")});
    Client c(quick(srv));
    try {
        c.head("k"); // a HEAD error has no body: the status alone
        c.get("k");
        FAIL() << "no error";
    } catch (const NotFound &) {
        FAIL() << "403 is not NotFound";
    } catch (const Error &e) {
        EXPECT_STREQ(e.what(), "S3 HEAD s3://bkt/pre/k failed: 403");
    }
    EXPECT_EQ(srv.requests().size(), 1u);
}

TEST(S3Retry, CutOffDownloadResumesWithRange) {
    // 10 bytes promised, 4 sent, connection closed; then the rest as 206.
    std::string cut = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 10\r\n\r\n0123";
    ScriptedServer srv(
        {cut, answer(206, "Partial Content", "456789", "Content-Range: bytes 4-9/10\r\n")});
    Client c(quick(srv));
    auto got = c.get("k");
    EXPECT_EQ(std::string(got.begin(), got.end()), "0123456789");
    auto reqs = srv.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].find("range:"), std::string::npos);
    EXPECT_NE(reqs[1].find("range: bytes=4-\r\n"), std::string::npos) << reqs[1];
}

TEST(S3Retry, ResumeAnsweredWithWholeObjectSkipsWhatWasDelivered) {
    std::string cut = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 10\r\n\r\n0123";
    ScriptedServer srv({cut, answer(200, "OK", "0123456789")});
    Client c(quick(srv));
    auto got = c.get("k");
    EXPECT_EQ(std::string(got.begin(), got.end()), "0123456789");
}

TEST(S3Retry, CompleteMultipartErrorInA200IsAFailureAndAborts) {
    const std::string init = "<InitiateMultipartUploadResult><UploadId>up1</UploadId>"
                             "</InitiateMultipartUploadResult>";
    ScriptedServer srv({answer(200, "OK", init), answer(200, "OK", "", "ETag: \"e1\"\r\n"),
                        answer(200, "OK", "", "ETag: \"e2\"\r\n"),
                        answer(200, "OK", s3_error("AccessDenied", "complete refused")),
                        answer(204, "No Content", "")});
    Settings s = quick(srv);
    s.upload_threads = 1; // parts in order, so the script fits
    Client c(s);
    std::vector<uint8_t> data(1500, 7);
    try {
        c.put("big", data.data(), data.size());
        FAIL() << "no error";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("complete multipart upload) failed: 200 AccessDenied: "
                                             "complete refused"),
                  std::string::npos)
            << e.what();
    }
    auto reqs = srv.requests();
    ASSERT_EQ(reqs.size(), 5u);
    EXPECT_EQ(reqs[0].rfind("POST /bkt/pre/big?uploads= ", 0), 0u) << reqs[0];
    EXPECT_EQ(reqs[1].rfind("PUT /bkt/pre/big?partNumber=1&uploadId=up1 ", 0), 0u) << reqs[1];
    EXPECT_EQ(reqs[2].rfind("PUT /bkt/pre/big?partNumber=2&uploadId=up1 ", 0), 0u) << reqs[2];
    EXPECT_EQ(reqs[3].rfind("POST /bkt/pre/big?uploadId=up1 ", 0), 0u) << reqs[3];
    EXPECT_EQ(reqs[4].rfind("DELETE /bkt/pre/big?uploadId=up1 ", 0), 0u) << reqs[4];
}

// repoN_s3_storage_class: on the requests that make an object (PutObject,
// CreateMultipartUpload), signed; never on parts, completion or reads.
TEST(S3Retry, StorageClassGoesOnlyWithTheRequestsThatMakeAnObject) {
    const std::string init = "<InitiateMultipartUploadResult><UploadId>up1</UploadId>"
                             "</InitiateMultipartUploadResult>";
    const std::string done = "<CompleteMultipartUploadResult><ETag>\"e\"</ETag>"
                             "</CompleteMultipartUploadResult>";
    ScriptedServer srv({answer(200, "OK", ""), answer(200, "OK", init),
                        answer(200, "OK", "", "ETag: \"e1\"\r\n"),
                        answer(200, "OK", "", "ETag: \"e2\"\r\n"), answer(200, "OK", done),
                        answer(200, "OK", "x")});
    Settings s = quick(srv);
    s.upload_threads = 1; // parts in order, so the script fits
    s.storage_class = "STANDARD_IA";
    Client c(s);
    std::vector<uint8_t> small(10, 1), big(1500, 7);
    c.put("small", small.data(), small.size());
    c.put("big", big.data(), big.size());
    (void)c.get("small");
    auto reqs = srv.requests();
    ASSERT_EQ(reqs.size(), 6u);
    const std::string header = "x-amz-storage-class: STANDARD_IA\r\n";
    EXPECT_EQ(reqs[0].rfind("PUT /bkt/pre/small ", 0), 0u) << reqs[0];
    EXPECT_EQ(reqs[1].rfind("POST /bkt/pre/big?uploads= ", 0), 0u) << reqs[1];
    for (int i : {0, 1}) {
        EXPECT_NE(reqs[i].find(header), std::string::npos) << reqs[i];
        EXPECT_NE(reqs[i].find(";x-amz-storage-class"), std::string::npos) << "signed: " << reqs[i];
    }
    for (int i : {2, 3, 4, 5})
        EXPECT_EQ(reqs[i].find("x-amz-storage-class"), std::string::npos) << reqs[i];
}

TEST(S3Retry, DeleteObjectsPerKeyErrorsThrow) {
    ScriptedServer srv({answer(200, "OK",
                               "<DeleteResult><Error><Key>pre/a</Key><Code>AccessDenied</Code>"
                               "<Message>Access Denied</Message></Error></DeleteResult>")});
    Client c(quick(srv));
    try {
        c.remove({"a", "b"});
        FAIL() << "no error";
    } catch (const Error &e) {
        EXPECT_STREQ(e.what(), "S3 DeleteObjects in s3://bkt failed for 1 key(s): pre/a: "
                               "AccessDenied Access Denied;");
    }
    auto reqs = srv.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].rfind("POST /bkt?delete= ", 0), 0u) << reqs[0];
    EXPECT_NE(reqs[0].find("content-md5: "), std::string::npos);
}

TEST(S3Retry, DotSegmentsAndOddBytesReachTheServerAsSigned) {
    ScriptedServer srv({answer(200, "OK", "x")});
    Client c(quick(srv));
    c.get("a/./b/../c d+%");
    auto reqs = srv.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].rfind("GET /bkt/pre/a/./b/../c%20d%2B%25 HTTP/1.1\r\n", 0), 0u) << reqs[0];
}
