// Starts s3rver (test/s3/start_s3rver.sh) on a free loopback port for a test
// and stops it again; HTTP, or HTTPS with a self-signed certificate.
#pragma once

#include "s3_test_dir.h"
#include "os/files.h"
#include "os/process.h"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace safekeep::test {

class S3rver {
  public:
    // Why the tests cannot run here, or "" when they can.
    static std::string unavailable() {
        const std::string dir = s3_test_dir();
        if (!posix::is_dir(dir + "/node_modules/s3rver"))
            return "s3rver is not installed in " + dir + " (run scripts/setup.sh or npm ci there)";
        if (::access("/bin/bash", X_OK) != 0)
            return "no /bin/bash";
        const char *path = std::getenv("PATH");
        std::string dirs = path ? path : "";
        for (size_t at = 0; at <= dirs.size();) {
            size_t end = dirs.find(':', at);
            if (end == std::string::npos)
                end = dirs.size();
            if (end > at && ::access((dirs.substr(at, end - at) + "/node").c_str(), X_OK) == 0)
                return "";
            at = end + 1;
        }
        return "node is not on PATH (apt-get install nodejs)";
    }

    // tls_dir empty: plain HTTP; else HTTPS, certificate made in tls_dir.
    S3rver(const std::string &data_dir, const std::string &tls_dir = "") {
        std::vector<std::string> args = {"/bin/bash", s3_test_dir() + "/start_s3rver.sh"};
        if (!tls_dir.empty()) {
            args.push_back("--tls");
            args.push_back(tls_dir);
        }
        args.push_back("0");
        args.push_back(data_dir);
        int fds[2];
        if (::pipe(fds) != 0)
            throw std::runtime_error("pipe failed");
        pid_ = spawn_program(args, -1, fds[1], -1);
        ::close(fds[1]);
        out_ = fds[0];
        const std::string tag = "s3rver ready: ";
        std::string got;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (got.find('\n') == std::string::npos) {
            pollfd p{out_, POLLIN, 0};
            if (std::chrono::steady_clock::now() > deadline || ::poll(&p, 1, 200) < 0) {
                stop();
                throw std::runtime_error("s3rver did not start in 30 s: " + got);
            }
            char buf[256];
            ssize_t n = (p.revents & (POLLIN | POLLHUP)) ? ::read(out_, buf, sizeof buf) : -1;
            if (n == 0) {
                stop();
                throw std::runtime_error("s3rver exited before it was ready: " + got);
            }
            if (n > 0)
                got.append(buf, static_cast<size_t>(n));
        }
        size_t at = got.find(tag);
        if (at == std::string::npos) {
            stop();
            throw std::runtime_error("unexpected s3rver output: " + got);
        }
        url_ = got.substr(at + tag.size(), got.find('\n', at) - at - tag.size());
    }
    ~S3rver() { stop(); }
    S3rver(const S3rver &) = delete;
    S3rver &operator=(const S3rver &) = delete;

    const std::string &url() const { return url_; }
    std::string port() const { return url_.substr(url_.rfind(':') + 1); }

    // SIGTERM (SIGKILL after 5 s), then reaps it.
    void stop() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status;
            for (int i = 0; i < 50; i++) {
                if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                    pid_ = -1;
                    break;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
            if (pid_ > 0) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                pid_ = -1;
            }
        }
        if (out_ >= 0) {
            ::close(out_);
            out_ = -1;
        }
    }

  private:
    pid_t pid_ = -1;
    int out_ = -1;
    std::string url_;
};

} // namespace safekeep::test
