#include "conf_file.h"

#include "cli_error.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <vector>

namespace safekeep::cli {

namespace {

namespace fs = std::filesystem;

constexpr int kMaxIncludeDepth = 10; // as PostgreSQL's CONF_FILE_MAX_DEPTH
const std::string kPrefix = "safekeep.";

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '$' ||
           c == '-';
}

struct Line {
    std::string name;
    std::string value;
};

class LineParser {
  public:
    LineParser(const std::string &text, const std::string &where) : s_(text), where_(where) {}

    // nullopt for a blank or comment-only line.
    std::optional<Line> parse() {
        skip_blanks();
        if (at_end())
            return std::nullopt;
        Line out;
        while (!at_end() && is_name_char(s_[pos_]))
            out.name += s_[pos_++];
        if (out.name.empty())
            fail("syntax error: expected a setting name");
        skip_blanks();
        if (!at_end() && s_[pos_] == '=') {
            pos_++;
            skip_blanks();
        }
        if (at_end())
            fail("syntax error: " + out.name + " has no value");
        out.value = s_[pos_] == '\'' ? quoted() : unquoted();
        skip_blanks();
        if (!at_end())
            fail("syntax error after the value of " + out.name);
        return out;
    }

  private:
    bool at_end() const { return pos_ >= s_.size() || s_[pos_] == '#'; }
    void skip_blanks() {
        while (pos_ < s_.size() && is_blank(s_[pos_]))
            pos_++;
    }
    [[noreturn]] void fail(const std::string &what) const {
        throw UsageError(where_ + ": " + what);
    }

    std::string unquoted() {
        std::string v;
        while (pos_ < s_.size() && !is_blank(s_[pos_]) && s_[pos_] != '#') {
            if (s_[pos_] == '\'')
                fail("syntax error: quote inside an unquoted value");
            v += s_[pos_++];
        }
        return v;
    }

    std::string quoted() {
        std::string v;
        for (pos_++; pos_ < s_.size(); pos_++) {
            char c = s_[pos_];
            if (c == '\'') {
                if (pos_ + 1 < s_.size() && s_[pos_ + 1] == '\'') {
                    v += '\'';
                    pos_++;
                    continue;
                }
                pos_++;
                return v;
            }
            if (c == '\\' && pos_ + 1 < s_.size()) {
                v += unescape(s_[++pos_]);
                continue;
            }
            v += c;
        }
        fail("unterminated quoted string");
    }

    static char unescape(char c) {
        switch (c) {
        case 'n':
            return '\n';
        case 't':
            return '\t';
        case 'r':
            return '\r';
        case 'b':
            return '\b';
        case 'f':
            return '\f';
        default:
            return c; // \\ and \' and anything else: the character itself
        }
    }

    const std::string &s_;
    const std::string &where_;
    size_t pos_ = 0;
};

class ConfReader {
  public:
    std::map<std::string, ConfSetting> settings;

    void read_file(const fs::path &path, bool missing_ok, int depth) {
        if (depth > kMaxIncludeDepth)
            throw UsageError("cannot open configuration file " + path.string() +
                             ": includes nested too deeply");
        std::ifstream in(path);
        if (!in) {
            if (missing_ok)
                return;
            throw UsageError("cannot open configuration file " + path.string());
        }
        std::string text;
        for (int lineno = 1; std::getline(in, text); lineno++) {
            const std::string where = path.string() + ":" + std::to_string(lineno);
            std::optional<Line> line = LineParser(text, where).parse();
            if (line)
                apply(*line, path, where, lineno, depth);
        }
    }

  private:
    void apply(const Line &line, const fs::path &file, const std::string &where, int lineno,
               int depth) {
        const std::string name = lower(line.name);
        if (name == "include" || name == "include_if_exists") {
            read_file(relative_to(file, line.value, where), name == "include_if_exists", depth + 1);
        } else if (name == "include_dir") {
            read_dir(relative_to(file, line.value, where), depth + 1);
        } else if (name.compare(0, kPrefix.size(), kPrefix) == 0) {
            settings[name.substr(kPrefix.size())] = {line.value, file.string(), lineno};
        }
    }

    // As PostgreSQL does: the *.conf files of the directory in name order,
    // skipping hidden ones.
    void read_dir(const fs::path &dir, int depth) {
        std::error_code ec;
        std::vector<fs::path> files;
        for (const auto &entry : fs::directory_iterator(dir, ec)) {
            const std::string name = entry.path().filename().string();
            if (name[0] != '.' && entry.path().extension() == ".conf" && entry.is_regular_file())
                files.push_back(entry.path());
        }
        if (ec)
            throw UsageError("cannot read configuration directory " + dir.string() + ": " +
                             ec.message());
        std::sort(files.begin(), files.end());
        for (const auto &f : files)
            read_file(f, false, depth);
    }

    static fs::path relative_to(const fs::path &file, const std::string &target,
                                const std::string &where) {
        if (target.empty())
            throw UsageError(where + ": empty include name");
        fs::path p(target);
        return p.is_absolute() ? p : file.parent_path() / p;
    }
};

} // namespace

std::string ConfSetting::origin(const std::string &name) const {
    return kPrefix + name + " in " + file + ":" + std::to_string(line);
}

std::map<std::string, ConfSetting> read_safekeep_conf(const std::string &path) {
    ConfReader reader;
    reader.read_file(fs::absolute(path), false, 0);
    return reader.settings;
}

std::optional<bool> parse_conf_bool(const std::string &value) {
    const std::string v = lower(value);
    auto prefix_of = [&](const char *word, size_t min_len) {
        const std::string w = word;
        return v.size() >= min_len && v.size() <= w.size() && w.compare(0, v.size(), v) == 0;
    };
    if (v == "1" || prefix_of("true", 1) || prefix_of("yes", 1) || prefix_of("on", 2))
        return true;
    if (v == "0" || prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2))
        return false;
    return std::nullopt;
}

} // namespace safekeep::cli
