// Reading a retention policy handed over as JSON text: the checks and error
// wording physical and logical retention share. `what` names the policy in
// every error ("retention", "logical retention").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace safekeep {

// The text as a JSON object; empty text is {}. Throws Error otherwise.
nlohmann::json parse_policy_object(const std::string &text, const std::string &what);

// The setting key's value as an integer in [0, max]. Throws Error naming it otherwise.
int policy_int(const nlohmann::json &value, const std::string &what, const std::string &key,
               int64_t max);

} // namespace safekeep
