#include "notify/http_post.h"

#include "notify/curl_util.h"
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
        throw Error(where + " failed: " + curl.error_text(rc));
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300)
        throw Error(where + " failed: HTTP status " + std::to_string(status));
}

} // namespace safekeep
