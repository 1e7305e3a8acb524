#include "util/conf_writer.h"

#include "util/error.h"
#include "util/text.h"

namespace safekeep {

namespace {

bool name_char(char c, bool first) {
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    return first ? letter : letter || (c >= '0' && c <= '9') || c == '.';
}

} // namespace

void check_setting_name(const std::string &name) {
    bool ok = !name.empty() && name.size() <= 200;
    for (size_t i = 0; ok && i < name.size(); i++)
        ok = name_char(name[i], i == 0);
    if (!ok) {
        std::string shown = first_control_char(name).empty() && name.size() <= 200
                                ? "\"" + name + "\""
                                : "(" + std::to_string(name.size()) + " bytes, not shown)";
        throw Error("invalid setting name " + shown +
                    ": expected letters, digits, '_' and '.', starting with a letter or '_'");
    }
}

void check_setting_value(const std::string &name, const std::string &value) {
    std::string where = first_control_char(value);
    if (!where.empty())
        throw Error("invalid value for setting \"" + name +
                    "\": it contains a control character (" + where + ")");
}

std::string conf_quoted_value(const std::string &name, const std::string &value) {
    check_setting_value(name, value);
    std::string out = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\')
            out += c; // '' and \\ read back as one
        out += c;
    }
    return out + "'";
}

std::string conf_line(const ConfSetting &s) {
    check_setting_name(s.name);
    return s.name + " = " + conf_quoted_value(s.name, s.value) + "\n";
}

std::string conf_lines(const ConfSettings &settings, const std::string &comment) {
    std::string out;
    if (!comment.empty()) {
        std::string where = first_control_char(comment);
        if (!where.empty())
            throw Error("invalid configuration comment: it contains a control character (" + where +
                        ")");
        out += "# " + comment + "\n";
    }
    for (const auto &s : settings)
        out += conf_line(s);
    return out;
}

} // namespace safekeep
