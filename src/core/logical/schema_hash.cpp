#include "logical/schema_hash.h"

#include "io/sha256.h"
#include "os/files.h"
#include "util/error.h"
#include "io/pipe_program.h"

namespace safekeep {

namespace {

// Splits the stream into lines and hashes the ones that carry structure.
class SchemaLineHasher : public Sink {
  public:
    void write(const uint8_t *d, size_t n) override {
        for (size_t i = 0; i < n; i++) {
            if (d[i] == '\n') {
                line_done();
            } else {
                line_.push_back(static_cast<char>(d[i]));
            }
        }
    }
    void finish() override {
        if (!line_.empty())
            line_done();
    }
    std::string hex() { return sha_.final_hex(); }

  private:
    static bool starts(const std::string &s, const char *p) { return s.rfind(p, 0) == 0; }
    void line_done() {
        bool blank = line_.find_first_not_of(" \t\r") == std::string::npos;
        if (!blank && !starts(line_, "--") && !starts(line_, "\\restrict") &&
            !starts(line_, "\\unrestrict")) {
            line_.push_back('\n');
            sha_.update(line_.data(), line_.size());
        }
        line_.clear();
    }
    std::string line_;
    Sha256 sha_;
};

} // namespace

std::string schema_hash(const PgConnection &conn, const CancelPoll &cancel) {
    std::vector<std::string> args = {posix::join(conn.bindir, "pg_dump"), "--schema-only",
                                     "--format=plain"};
    for (auto &a : connection_args(conn))
        args.push_back(a);
    SchemaLineHasher h;
    PipeResult r = run_program_to_sink(args, h, cancel);
    if (r.exit_code != 0)
        throw Error("pg_dump --schema-only failed (exit code " + std::to_string(r.exit_code) +
                    "): " + r.diagnostics);
    h.finish();
    return h.hex();
}

std::string schema_hash_of_text(const std::string &script) {
    SchemaLineHasher h;
    h.write(reinterpret_cast<const uint8_t *>(script.data()), script.size());
    h.finish();
    return h.hex();
}

} // namespace safekeep
