// A libpq connection (RAII) for the servers the core starts itself, e.g. a
// scratch copy. Parameters go as keyword arrays, never through a conninfo
// string, so no value is ever parsed as connection syntax.
#pragma once

#include <optional>
#include <string>
#include <vector>

struct pg_conn; // PGconn; libpq-fe.h stays out of this header

namespace safekeep {

struct PgConnParams {
    std::string host; // a socket directory (absolute) or a host name
    int port = 5432;
    std::string user; // "": libpq's default (the OS user name)
    std::string dbname;
    int connect_timeout = 10; // seconds
};

using PgValue = std::optional<std::string>; // nullopt: SQL NULL
using PgRow = std::vector<PgValue>;

class PgClient {
  public:
    // Throws Error with the server's (or libpq's) message.
    explicit PgClient(const PgConnParams &p);
    ~PgClient();
    PgClient(const PgClient &) = delete;
    PgClient &operator=(const PgClient &) = delete;

    // One statement with text parameters ($1, $2, ...); the rows in text form
    // (none for a command). Errors carry the server's message.
    std::vector<PgRow> query(const std::string &sql, const std::vector<PgValue> &params = {});

  private:
    pg_conn *conn_ = nullptr;
    std::string desc_; // database and socket, for messages
};

} // namespace safekeep
