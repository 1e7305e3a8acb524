#include "notify/http_post.h"

#include "net/curl_util.h"
#include "util/error.h"

#include <curl/curl.h>

namespace safekeep {

std::string url_host(const std::string &url) {
    size_t start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    size_t end = url.find_first_of("/?#", start);
    std::string authority = url.substr(start, end == std::string::npos ? end : end - start);
    // Drop user:password@ so credentials in the URL never reach a message.
    size_t at = authority.rfind('@');
    return at == std::string::npos ? authority : authority.substr(at + 1);
}

namespace {

void replace_all(std::string &text, const std::string &secret) {
    if (secret.size() < 2)
        return; // "/" alone is no secret, and would wreck the message
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 10))
        text.replace(at, secret.size(), "[redacted]");
}

} // namespace

std::string redact_url(const std::string &text, const std::string &url) {
    std::string out = text;
    replace_all(out, url);
    size_t start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    size_t path = url.find_first_of("/?#", start);
    if (path != std::string::npos)
        replace_all(out, url.substr(path));
    std::string authority = url.substr(start, path == std::string::npos ? path : path - start);
    size_t at = authority.rfind('@');
    if (at != std::string::npos)
        replace_all(out, authority.substr(0, at));
    return out;
}

void http_post_json(const std::string &url, const std::string &json_body, int timeout_seconds) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
        throw Error("webhook URL must start with http:// or https://");
    CurlHandle curl;
    CurlList headers;
    headers.append("Content-Type: application/json");
    CURL *h = curl.get();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT,
                     static_cast<long>(timeout_seconds > 0 ? timeout_seconds : 10));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json_body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(json_body.size()));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_body);
    CURLcode rc = curl_easy_perform(h);
    std::string where = "webhook to " + url_host(url);
    if (rc != CURLE_OK)
        throw Error(where + " failed: " + redact_url(curl.error_text(rc), url));
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300)
        throw Error(where + " failed: HTTP status " + std::to_string(status));
}

} // namespace safekeep
