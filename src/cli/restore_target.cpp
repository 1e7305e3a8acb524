#include "restore_target.h"

#include "pg_safekeep/capi.h"
#include "cli_error.h"
#include "format.h"
#include "target_time.h"

#include <regex>
#include <vector>

namespace safekeep::cli {

namespace {

void check_lsn(const std::string &v) {
    static const std::regex lsn("^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$");
    if (!std::regex_match(v, lsn))
        throw UsageError("invalid --target-lsn \"" + v + "\" (expected e.g. 0/3000060)");
}

void check_xid(const std::string &v) {
    if (v.empty() || v.size() > 20 || v.find_first_not_of("0123456789") != std::string::npos)
        throw UsageError("invalid --target-xid \"" + v + "\" (expected a transaction id)");
}

} // namespace

RestoreTarget parse_restore_target(const ParsedArgs &args, int64_t now_unix) {
    static const std::vector<std::string> kinds = {"target-time", "target-lsn", "target-xid",
                                                   "target-name", "target"};
    std::string given;
    for (const auto &k : kinds) {
        if (!args.has(k))
            continue;
        if (!given.empty())
            throw UsageError("only one recovery target may be given (--" + given + " and --" + k +
                             ")");
        given = k;
    }

    RestoreTarget t;
    if (given == "target-time") {
        const std::string text = *args.get(given);
        TargetTime tt = parse_target_time(text);
        if (tt.unix_seconds > now_unix)
            throw UsageError("--target-time \"" + text + "\" is in the future (now is " +
                             format_utc(now_unix) + ")");
        t.type = "time";
        t.value = recovery_time_value(text, tt);
        t.time_unix = tt.unix_seconds;
    } else if (given == "target-lsn") {
        t.type = "lsn";
        t.value = *args.get(given);
        check_lsn(t.value);
    } else if (given == "target-xid") {
        t.type = "xid";
        t.value = *args.get(given);
        check_xid(t.value);
    } else if (given == "target-name") {
        t.type = "name";
        t.value = *args.get(given);
        if (t.value.empty())
            throw UsageError("--target-name needs a restore point name");
        // Checked here so a name that cannot be a restore point fails before
        // anything is created; quotes and backslashes are fine (conf_writer).
        sk_msg msg{};
        if (sk_check_restore_point_name(t.value.c_str(), &msg) != SK_OK)
            throw UsageError(std::string("--target-name: ") + msg.text);
    } else if (given == "target") {
        if (*args.get(given) != "immediate")
            throw UsageError("--target must be \"immediate\", not \"" + *args.get(given) + "\"");
        t.type = "immediate";
    }

    if (auto action = args.get("target-action")) {
        if (*action != "promote" && *action != "pause" && *action != "shutdown")
            throw UsageError("--target-action must be promote, pause or shutdown, not \"" +
                             *action + "\"");
        if (t.type.empty())
            throw UsageError("--target-action needs a recovery target");
        t.action = *action;
    }
    if (args.has("target-exclusive")) {
        if (t.type != "time" && t.type != "lsn" && t.type != "xid")
            throw UsageError(
                "--target-exclusive applies only to --target-time, --target-lsn or --target-xid");
        t.inclusive = false;
    }
    return t;
}

} // namespace safekeep::cli
