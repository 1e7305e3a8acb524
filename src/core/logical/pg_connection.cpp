#include "logical/pg_connection.h"

namespace safekeep {

std::vector<std::string> connection_args(const PgConnection &c) {
    std::string conninfo = "dbname='";
    for (char ch : c.dbname) {
        if (ch == '\'' || ch == '\\')
            conninfo += '\\';
        conninfo += ch;
    }
    conninfo += "'";
    return {"--host=" + c.host, "--port=" + std::to_string(c.port), "--username=" + c.user,
            "--no-password", "--dbname=" + conninfo};
}

} // namespace safekeep
