#include "util/policy_json.h"

#include "util/error.h"

namespace safekeep {

nlohmann::json parse_policy_object(const std::string &text, const std::string &what) {
    nlohmann::json j;
    try {
        j = text.empty() ? nlohmann::json::object() : nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception &e) {
        throw Error(what + " policy is not valid JSON: " + e.what());
    }
    if (!j.is_object())
        throw Error(what + " policy must be a JSON object");
    return j;
}

int policy_int(const nlohmann::json &value, const std::string &what, const std::string &key,
               int64_t max) {
    if (!value.is_number_integer())
        throw Error(what + " " + key + " must be an integer");
    const int64_t v = value.get<int64_t>();
    if (v < 0 || v > max)
        throw Error(what + " " + key + " must be between 0 and " + std::to_string(max) + ", not " +
                    std::to_string(v));
    return static_cast<int>(v);
}

} // namespace safekeep
