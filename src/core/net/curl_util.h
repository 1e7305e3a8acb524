// RAII wrappers around libcurl handles shared by the webhook and SMTP senders.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <string>

namespace safekeep {

// An easy handle with its error buffer; curl_global_init runs once. Its
// transfers abort (CURLE_ABORTED_BY_CALLBACK) once stop_requested(): libcurl
// calls the progress callback at least about once a second.
class CurlHandle {
  public:
    CurlHandle();
    ~CurlHandle();
    CurlHandle(const CurlHandle &) = delete;
    CurlHandle &operator=(const CurlHandle &) = delete;
    CURL *get() const { return h_; }
    // The detailed error text when there is one, else curl_easy_strerror.
    std::string error_text(CURLcode rc) const;

  private:
    CURL *h_;
    char errbuf_[CURL_ERROR_SIZE];
};

class CurlList {
  public:
    CurlList() = default;
    ~CurlList();
    CurlList(const CurlList &) = delete;
    CurlList &operator=(const CurlList &) = delete;
    void append(const std::string &s);
    curl_slist *get() const { return list_; }

  private:
    curl_slist *list_ = nullptr;
};

// CURLOPT_XFERINFOFUNCTION that aborts the transfer once stop_requested().
int abort_on_stop(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t);

// Write callback that drops the response body.
size_t discard_body(char *ptr, size_t size, size_t nmemb, void *userdata);

} // namespace safekeep
