#include "net/pg_client.h"

#include "util/error.h"

#include <libpq-fe.h>
#include <memory>

namespace safekeep {

namespace {

// libpq messages end in a newline.
std::string trimmed(const char *s) {
    std::string out = s ? s : "";
    while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
        out.pop_back();
    return out;
}

struct ResultDeleter {
    void operator()(PGresult *r) const { PQclear(r); }
};

} // namespace

PgClient::PgClient(const PgConnParams &p) {
    desc_ = "database \"" + p.dbname + "\" at \"" + p.host + "\" port " + std::to_string(p.port);
    std::string port = std::to_string(p.port);
    std::string timeout = std::to_string(p.connect_timeout);
    // UTF8 so results are valid JSON text whatever the database encoding.
    const char *keys[] = {
        "host", "port", "dbname", "connect_timeout", "client_encoding", "fallback_application_name",
        "user", nullptr};
    const char *values[] = {p.host.c_str(), port.c_str(),  p.dbname.c_str(), timeout.c_str(),
                            "UTF8",         "pg_safekeep", p.user.c_str(),   nullptr};
    if (p.user.empty())
        keys[6] = values[6] = nullptr;
    // expand_dbname = 0: dbname is a name, never a connection string.
    conn_ = PQconnectdbParams(keys, values, 0);
    if (!conn_)
        throw Error("could not connect to " + desc_ + ": out of memory");
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::string msg = trimmed(PQerrorMessage(conn_));
        PQfinish(conn_);
        conn_ = nullptr;
        throw Error("could not connect to " + desc_ + ": " + msg);
    }
}

PgClient::~PgClient() {
    if (conn_)
        PQfinish(conn_);
}

std::vector<PgRow> PgClient::query(const std::string &sql, const std::vector<PgValue> &params) {
    std::vector<const char *> values;
    for (const auto &v : params)
        values.push_back(v ? v->c_str() : nullptr);
    // Text parameters with types left to the server, as psql's \bind does.
    std::unique_ptr<PGresult, ResultDeleter> res(
        PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                     values.empty() ? nullptr : values.data(), nullptr, nullptr, 0));
    if (!res)
        throw Error("query in " + desc_ + " failed: " + trimmed(PQerrorMessage(conn_)));
    ExecStatusType st = PQresultStatus(res.get());
    if (st == PGRES_COMMAND_OK || st == PGRES_EMPTY_QUERY)
        return {};
    if (st != PGRES_TUPLES_OK) {
        std::string msg = trimmed(PQresultErrorMessage(res.get()));
        if (msg.empty())
            msg = std::string("unexpected result ") + PQresStatus(st) + " (COPY is not supported)";
        throw Error("query in " + desc_ + " failed: " + msg);
    }
    int nrows = PQntuples(res.get()), ncols = PQnfields(res.get());
    std::vector<PgRow> rows(static_cast<size_t>(nrows));
    for (int r = 0; r < nrows; r++) {
        PgRow &row = rows[static_cast<size_t>(r)];
        row.reserve(static_cast<size_t>(ncols));
        for (int c = 0; c < ncols; c++) {
            if (PQgetisnull(res.get(), r, c))
                row.emplace_back(std::nullopt);
            else
                row.emplace_back(std::string(PQgetvalue(res.get(), r, c),
                                             static_cast<size_t>(PQgetlength(res.get(), r, c))));
        }
    }
    return rows;
}

} // namespace safekeep
