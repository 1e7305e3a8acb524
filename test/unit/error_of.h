// The message of the Error a call throws, or "(no error)": lets a test check
// that a refusal names what is wrong.
#pragma once

#include "util/error.h"

#include <functional>
#include <string>

namespace safekeep::test {

inline std::string error_of(const std::function<void()> &f) {
    try {
        f();
    } catch (const Error &e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace safekeep::test
