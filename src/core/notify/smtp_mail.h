// Send a plain-text email through an SMTP server with libcurl.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

enum class SmtpTls { None, StartTls, Tls };

struct SmtpOptions {
    std::string server; // host name or address
    int port = 587;
    SmtpTls tls = SmtpTls::None;
    std::string user; // "" = no authentication
    std::string password;
    std::string from;
    std::vector<std::string> to;
    int timeout_seconds = 10;
    std::string ca_file; // PEM bundle the server must chain to; "" = system CAs
};

// Split a comma-separated address list, trimming blanks and dropping empties.
std::vector<std::string> split_addresses(const std::string &list);

// The RFC 5322 message: Date, From, To, Subject, Message-ID, MIME headers,
// then the body with CRLF line ends (libcurl doubles leading dots itself).
// now_unix fixes the Date header; host goes into the Message-ID.
std::string format_mail(const SmtpOptions &opts, const std::string &subject,
                        const std::string &body, int64_t now_unix, const std::string &msg_id);

// Send; throws Error naming the server and the curl/SMTP error.
void send_mail(const SmtpOptions &opts, const std::string &subject, const std::string &body);

} // namespace safekeep
