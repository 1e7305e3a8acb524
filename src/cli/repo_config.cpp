#include "repo_config.h"

#include "cli_error.h"
#include "conf_file.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>

namespace safekeep::cli {

namespace {

namespace fs = std::filesystem;

enum class Kind {
    Text,   // as given
    Path,   // made absolute
    Choice, // one of Field::choices
    Bool,   // s3_verify_tls
    SizeMb, // s3_part_size
};

struct Field {
    const char *name; // setting name after "repoN_"
    Kind kind;
    const char *sk_repo_config::*member; // string fields only
    std::vector<std::string> choices;
};

const std::vector<Field> &fields() {
    using R = sk_repo_config;
    static const std::vector<Field> table = {
        {"type", Kind::Choice, &R::type, {"posix", "s3"}},
        {"path", Kind::Path, &R::path, {}},
        {"s3_endpoint", Kind::Text, &R::s3_endpoint, {}},
        {"s3_bucket", Kind::Text, &R::s3_bucket, {}},
        {"s3_region", Kind::Text, &R::s3_region, {}},
        {"s3_prefix", Kind::Text, &R::s3_prefix, {}},
        {"s3_uri_style", Kind::Choice, &R::s3_uri_style, {"path", "host"}},
        {"s3_verify_tls", Kind::Bool, nullptr, {}},
        {"s3_ca_file", Kind::Path, &R::s3_ca_file, {}},
        {"s3_part_size", Kind::SizeMb, nullptr, {}},
        {"s3_credentials_file", Kind::Path, &R::s3_credentials_file, {}},
        {"s3_profile", Kind::Text, &R::s3_profile, {}},
        {"s3_storage_class", Kind::Text, &R::s3_storage_class, {}},
        {"cipher", Kind::Choice, &R::cipher, {"none", "aes-256-gcm"}},
        {"cipher_passphrase_file", Kind::Path, &R::cipher_passphrase_file, {}},
    };
    return table;
}

const Field *find_field(const std::string &name) {
    for (const auto &f : fields())
        if (name == f.name)
            return &f;
    return nullptr;
}

// "repo2-s3-bucket" for (2, "s3_bucket").
std::string option_name(int n, const std::string &field) {
    std::string out = "repo" + std::to_string(n) + "-" + field;
    std::replace(out.begin(), out.end(), '_', '-');
    return out;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string join(const std::vector<std::string> &words, const char *sep) {
    std::string out;
    for (const auto &w : words)
        out += (out.empty() ? "" : sep) + w;
    return out;
}

// One value before checking, with where it came from for error messages.
struct Raw {
    std::string value;
    std::string origin; // "--repo2-type" or "safekeep.repo2_type in FILE:LINE"
    fs::path base;      // relative paths are relative to this directory
    bool from_command_line = false;
};

using RawRepo = std::map<std::string, Raw>; // keyed by field name

std::string absolute_path(const fs::path &base, const std::string &value) {
    std::string out = (base / value).lexically_normal().string();
    if (out.size() > 1 && out.back() == '/')
        out.pop_back();
    return out;
}

// MiB: a number, optionally with MB, GB or TB (any case) after it.
int parse_size_mb(const Raw &raw) {
    const std::string &v = raw.value;
    size_t digits = 0;
    while (digits < v.size() && std::isdigit(static_cast<unsigned char>(v[digits])))
        digits++;
    size_t unit_at = digits;
    while (unit_at < v.size() && (v[unit_at] == ' ' || v[unit_at] == '\t'))
        unit_at++;
    const std::string unit = lower(v.substr(unit_at));
    long long factor = unit.empty() || unit == "mb" ? 1 : unit == "gb" ? 1024 : 0;
    if (unit == "tb")
        factor = 1024 * 1024;
    if (digits == 0 || digits > 9 || factor == 0)
        throw UsageError(raw.origin + " must be a size in MiB (e.g. 16 or 16MB), not \"" + v +
                         "\"");
    long long mb = std::stoll(v.substr(0, digits)) * factor;
    if (mb < 5 || mb > 5120)
        throw UsageError(raw.origin + " must be between 5MB and 5120MB");
    return static_cast<int>(mb);
}

// The settings "repoN_*" of a --config file, for N = 1..4 and known fields.
void read_config_file(const std::string &path, std::array<RawRepo, SK_MAX_REPOS> &raw) {
    for (const auto &[name, setting] : read_safekeep_conf(path)) {
        if (name.size() < 7 || name.compare(0, 4, "repo") != 0 || name[5] != '_')
            continue;
        const int n = name[4] - '0';
        if (n < 1 || n > SK_MAX_REPOS)
            continue;
        const std::string field = name.substr(6);
        if (!find_field(field))
            continue; // another safekeep.* setting of the server
        raw[n - 1][field] = {setting.value, setting.origin(name),
                             fs::path(setting.file).parent_path(), false};
    }
}

} // namespace

const std::vector<OptionSpec> &repo_option_specs() {
    static const std::vector<OptionSpec> specs = [] {
        std::vector<OptionSpec> out = {{"stanza", true}, {"repo", true}, {"config", true}};
        for (int n = 1; n <= SK_MAX_REPOS; n++)
            for (const auto &f : fields())
                out.push_back({option_name(n, f.name), true});
        return out;
    }();
    return specs;
}

RepoConfig::RepoConfig(const ParsedArgs &args) {
    std::array<RawRepo, SK_MAX_REPOS> raw;
    if (auto config = args.get("config")) {
        if (config->empty())
            throw UsageError("--config needs a file name");
        read_config_file(*config, raw);
    }
    const fs::path cwd = fs::current_path();
    for (int n = 1; n <= SK_MAX_REPOS; n++)
        for (const auto &f : fields()) {
            const std::string option = option_name(n, f.name);
            if (auto v = args.get(option))
                raw[n - 1][f.name] = {*v, "--" + option, cwd, true};
        }

    for (int i = 0; i < SK_MAX_REPOS; i++) {
        Repo &repo = repos_[i];
        bool from_command_line = false;
        for (const auto &[name, r] : raw[i]) {
            const Field &f = *find_field(name);
            // An empty value only unsets what the file said.
            from_command_line |= r.from_command_line && !r.value.empty();
            if (f.kind == Kind::Bool) {
                auto b = parse_conf_bool(r.value);
                if (!b)
                    throw UsageError(r.origin + " must be y or n, not \"" + r.value + "\"");
                repo.verify_tls = *b;
            } else if (f.kind == Kind::SizeMb) {
                repo.part_size_mb = r.value.empty() ? 0 : parse_size_mb(r);
            } else if (f.kind == Kind::Choice && !r.value.empty()) {
                const std::string v = lower(r.value);
                if (std::find(f.choices.begin(), f.choices.end(), v) == f.choices.end())
                    throw UsageError(r.origin + " must be " + join(f.choices, " or ") + ", not \"" +
                                     r.value + "\"");
                repo.text[name] = v;
            } else if (f.kind == Kind::Path && !r.value.empty()) {
                repo.text[name] = absolute_path(r.base, r.value);
            } else {
                repo.text[name] = r.value;
            }
        }
        const int n = i + 1;
        repo.configured = !text(n, "type").empty() || !text(n, "path").empty();
        if (!repo.configured) {
            if (from_command_line)
                throw UsageError("options for repository " + std::to_string(n) +
                                 " given, but not --" + option_name(n, "type") + " or --" +
                                 option_name(n, "path"));
            repo = Repo{};
            continue;
        }
        if (text(n, "type").empty())
            repo.text["type"] = "posix";
        if (text(n, "type") == "posix" && text(n, "path").empty())
            throw UsageError("repository " + std::to_string(n) +
                             " is posix but has no path: give --" + option_name(n, "path"));
        if (text(n, "type") == "s3" && text(n, "s3_bucket").empty())
            throw UsageError("repository " + std::to_string(n) +
                             " is s3 but has no bucket: give --" + option_name(n, "s3_bucket"));
        if (text(n, "cipher") == "aes-256-gcm" && text(n, "cipher_passphrase_file").empty())
            throw UsageError("--" + option_name(n, "cipher") + "=aes-256-gcm needs --" +
                             option_name(n, "cipher_passphrase_file"));
    }
    if (std::none_of(repos_.begin(), repos_.end(), [](const Repo &r) { return r.configured; }))
        throw UsageError("no repository given: use --repo1-path, --repoN-... or --config");

    if (auto r = args.get("repo")) {
        cfg_.read_repo = parse_int_option("repo", *r, 1, SK_MAX_REPOS);
        if (!configured(cfg_.read_repo))
            throw UsageError("--repo=" + *r + ": repository " + *r + " is not configured");
    }
    if (auto stanza = args.get("stanza"))
        stanza_ = *stanza;
    fill_cfg();
}

// Only once every string is final: cfg_ points into repos_ and stanza_.
void RepoConfig::fill_cfg() {
    for (int i = 0; i < SK_MAX_REPOS; i++) {
        const Repo &repo = repos_[i];
        sk_repo_config &c = cfg_.repos[i];
        c = sk_repo_config{};
        if (!repo.configured)
            continue;
        for (const auto &f : fields()) {
            auto it = repo.text.find(f.name);
            if (f.member && it != repo.text.end() && !it->second.empty())
                c.*f.member = it->second.c_str();
        }
        c.s3_verify_tls = repo.verify_tls ? 1 : 0;
        c.s3_part_size_mb = repo.part_size_mb;
    }
    cfg_.stanza = stanza_.empty() ? nullptr : stanza_.c_str();
    cfg_.compress_level = 3;
    cfg_.parallel = 2;
}

const std::string &RepoConfig::text(int n, const std::string &name) const {
    static const std::string empty;
    const auto &text = repos_[n - 1].text;
    auto it = text.find(name);
    return it == text.end() ? empty : it->second;
}

bool RepoConfig::configured(int n) const {
    return n >= 1 && n <= SK_MAX_REPOS && repos_[n - 1].configured;
}

const std::string &RepoConfig::path() const {
    static const std::string empty;
    return configured(1) && text(1, "type") == "posix" ? text(1, "path") : empty;
}

std::string RepoConfig::describe() const {
    int n = cfg_.read_repo;
    for (int i = 1; n == 0 && i <= SK_MAX_REPOS; i++)
        if (configured(i))
            n = i;
    std::string where = text(n, "path");
    if (text(n, "type") == "s3") {
        std::string prefix = text(n, "s3_prefix");
        prefix.erase(0, prefix.find_first_not_of('/'));
        where = "s3://" + text(n, "s3_bucket") + (prefix.empty() ? "" : "/" + prefix);
    }
    return n == 1 ? where : "repo" + std::to_string(n) + " " + where;
}

std::vector<std::string> RepoConfig::as_options() const {
    std::vector<std::string> out;
    for (int n = 1; n <= SK_MAX_REPOS; n++) {
        if (!configured(n))
            continue;
        const Repo &repo = repos_[n - 1];
        for (const auto &f : fields()) {
            const std::string option = "--" + option_name(n, f.name) + "=";
            if (f.kind == Kind::Bool && !repo.verify_tls)
                out.push_back(option + "n");
            else if (f.kind == Kind::SizeMb && repo.part_size_mb != 0)
                out.push_back(option + std::to_string(repo.part_size_mb));
            else if (!text(n, f.name).empty())
                out.push_back(option + text(n, f.name));
        }
    }
    if (!stanza_.empty())
        out.push_back("--stanza=" + stanza_);
    if (cfg_.read_repo != 0)
        out.push_back("--repo=" + std::to_string(cfg_.read_repo));
    return out;
}

} // namespace safekeep::cli
