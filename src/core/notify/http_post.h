// POST a JSON body to a webhook URL with libcurl (Slack-compatible hooks).
#pragma once

#include <string>

namespace safekeep {

// The host part of url, for error text: the path may hold a secret token,
// so messages never show the whole URL.
std::string url_host(const std::string &url);

// text with every copy of url, of its path-and-query part and of its
// user:password replaced by "[redacted]": curl's error text may quote them.
std::string redact_url(const std::string &text, const std::string &url);

// POST json_body (Content-Type: application/json) to url; throws Error naming
// the host and the HTTP status or curl error.  https peers are verified.
void http_post_json(const std::string &url, const std::string &json_body, int timeout_seconds);

} // namespace safekeep
