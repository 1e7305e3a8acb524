#include "net/curl_util.h"

#include "util/error.h"
#include "os/stop.h"

#include <mutex>
#include <new>

namespace safekeep {

CurlHandle::CurlHandle() {
    // curl_global_init is not thread-safe; run it once.
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    h_ = curl_easy_init();
    if (!h_)
        throw Error("could not initialise libcurl");
    errbuf_[0] = '\0';
    curl_easy_setopt(h_, CURLOPT_ERRORBUFFER, errbuf_);
    curl_easy_setopt(h_, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h_, CURLOPT_XFERINFOFUNCTION, abort_on_stop);
}

CurlHandle::~CurlHandle() {
    curl_easy_cleanup(h_);
}

std::string CurlHandle::error_text(CURLcode rc) const {
    return errbuf_[0] ? std::string(errbuf_) : std::string(curl_easy_strerror(rc));
}

CurlList::~CurlList() {
    curl_slist_free_all(list_);
}

void CurlList::append(const std::string &s) {
    curl_slist *n = curl_slist_append(list_, s.c_str());
    if (!n)
        throw std::bad_alloc();
    list_ = n;
}

int abort_on_stop(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return stop_requested() ? 1 : 0;
}

size_t discard_body(char *, size_t size, size_t nmemb, void *) {
    return size * nmemb;
}

} // namespace safekeep
