#include "notify/smtp_mail.h"

#include "net/curl_util.h"
#include "util/error.h"
#include "util/text.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <random>

namespace safekeep {

namespace {

// Header values must not break the header block (no CR/LF injection).
std::string one_line(const std::string &s) {
    std::string out = s;
    std::replace(out.begin(), out.end(), '\r', ' ');
    std::replace(out.begin(), out.end(), '\n', ' ');
    return out;
}

std::string crlf(const std::string &body) {
    std::string out;
    out.reserve(body.size() + body.size() / 40);
    for (size_t i = 0; i < body.size(); i++) {
        if (body[i] == '\r')
            continue;
        if (body[i] == '\n')
            out += "\r\n";
        else
            out += body[i];
    }
    if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0)
        out += "\r\n";
    return out;
}

std::string rfc5322_date(int64_t now_unix) {
    time_t t = static_cast<time_t>(now_unix);
    struct tm tm;
    gmtime_r(&t, &tm);
    // Day and month names must be English whatever the locale says.
    static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
                  tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    return buf;
}

std::string domain_of(const std::string &addr) {
    size_t at = addr.rfind('@');
    std::string d = at == std::string::npos ? "localhost" : addr.substr(at + 1);
    d.erase(std::remove(d.begin(), d.end(), '>'), d.end());
    return d.empty() ? "localhost" : d;
}

// <addr> for MAIL FROM / RCPT TO, unless the caller already wrote brackets.
std::string bracketed(const std::string &addr) {
    size_t lt = addr.find('<');
    if (lt != std::string::npos)
        return addr.substr(lt);
    return "<" + addr + ">";
}

struct Reader {
    const std::string &data;
    size_t pos = 0;
};

size_t read_cb(char *buf, size_t size, size_t nmemb, void *userdata) {
    Reader *r = static_cast<Reader *>(userdata);
    size_t n = std::min(size * nmemb, r->data.size() - r->pos);
    std::memcpy(buf, r->data.data() + r->pos, n);
    r->pos += n;
    return n;
}

} // namespace

std::vector<std::string> split_addresses(const std::string &list) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= list.size()) {
        size_t comma = list.find(',', start);
        std::string item =
            trim(list.substr(start, comma == std::string::npos ? comma : comma - start));
        if (!item.empty())
            out.push_back(item);
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return out;
}

std::string format_mail(const SmtpOptions &opts, const std::string &subject,
                        const std::string &body, int64_t now_unix, const std::string &msg_id) {
    std::string to;
    for (const auto &a : opts.to)
        to += (to.empty() ? "" : ", ") + one_line(a);
    std::string m;
    m += "Date: " + rfc5322_date(now_unix) + "\r\n";
    m += "From: " + one_line(opts.from) + "\r\n";
    m += "To: " + to + "\r\n";
    m += "Subject: " + one_line(subject) + "\r\n";
    m += "Message-ID: <" + one_line(msg_id) + "@" + domain_of(opts.from) + ">\r\n";
    m += "MIME-Version: 1.0\r\n";
    m += "Content-Type: text/plain; charset=utf-8\r\n";
    m += "Content-Transfer-Encoding: 8bit\r\n";
    m += "\r\n";
    m += crlf(body);
    return m;
}

void send_mail(const SmtpOptions &opts, const std::string &subject, const std::string &body) {
    if (opts.server.empty())
        throw Error("no SMTP server configured");
    if (opts.from.empty() || opts.to.empty())
        throw Error("email needs a sender and at least one recipient");
    std::random_device rd;
    char id[64];
    int64_t now = static_cast<int64_t>(std::time(nullptr));
    std::snprintf(id, sizeof id, "%lld.%08x.pg_safekeep", static_cast<long long>(now), rd());
    std::string message = format_mail(opts, subject, body, now, id);

    CurlHandle curl;
    CurlList rcpt;
    for (const auto &a : opts.to)
        rcpt.append(bracketed(a));
    CURL *h = curl.get();
    std::string scheme = opts.tls == SmtpTls::Tls ? "smtps://" : "smtp://";
    std::string url = scheme + opts.server + ":" + std::to_string(opts.port);
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    // A private CA replaces the system bundle; verification stays on either way.
    if (!opts.ca_file.empty())
        curl_easy_setopt(h, CURLOPT_CAINFO, opts.ca_file.c_str());
    if (opts.tls == SmtpTls::StartTls)
        curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    if (!opts.user.empty()) {
        curl_easy_setopt(h, CURLOPT_USERNAME, opts.user.c_str());
        curl_easy_setopt(h, CURLOPT_PASSWORD, opts.password.c_str());
    }
    curl_easy_setopt(h, CURLOPT_TIMEOUT,
                     static_cast<long>(opts.timeout_seconds > 0 ? opts.timeout_seconds : 10));
    std::string from = bracketed(opts.from);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.get());
    Reader reader{message};
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, &reader);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        std::string err = "email through " + opts.server + ":" + std::to_string(opts.port) +
                          " failed: " + curl.error_text(rc);
        if (code)
            err += " (SMTP reply " + std::to_string(code) + ")";
        throw Error(err);
    }
}

} // namespace safekeep
