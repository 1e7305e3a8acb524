// Usage and version text.
#include "commands.h"

#include "cli_error.h"
#include "expire_options.h"

#include <cstdio>

#ifndef PG_SAFEKEEP_VERSION
#define PG_SAFEKEEP_VERSION "0.1.0"
#endif

namespace safekeep::cli {

static const char *kOverview =
    "pg_safekeep - restore and inspect a pg_safekeep backup repository\n"
    "\n"
    "Usage: pg_safekeep COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  info          list backups, logical backups and the archived WAL range\n"
    "  restore       restore a backup into an empty data directory\n"
    "  archive-get   fetch one WAL file (the restore_command)\n"
    "  verify        check backups, their chains and their WAL\n"
    "  expire        remove backups and WAL a retention policy lets go\n"
    "  rekey         re-wrap an encrypted repository's keys under a new\n"
    "                passphrase\n"
    "  version       print the version\n"
    "  help [CMD]    print this text, or a command's options\n"
    "\n"
    "Options take the form --name=value or --name value.  Every\n"
    "command takes the repository options (pg_safekeep help CMD).\n";

static const char *kRepoOptions =
    "\n"
    "Repository options (REPO), for N = 1..4 (every backup and WAL file is in each\n"
    "configured repository; a repository is configured by its type or path):\n"
    "  --config=FILE                    read the safekeep.repoN_* settings of a\n"
    "                                   postgresql.conf (includes followed); the\n"
    "                                   options below override them\n"
    "  --repoN-type=posix|s3            default posix when --repoN-path is given\n"
    "  --repoN-path=DIR                 posix: repository root\n"
    "  --repoN-s3-endpoint=URL          https:// when no scheme is given\n"
    "  --repoN-s3-bucket=NAME\n"
    "  --repoN-s3-region=REGION         default us-east-1\n"
    "  --repoN-s3-prefix=PREFIX         key prefix inside the bucket\n"
    "  --repoN-s3-uri-style=path|host   default path\n"
    "  --repoN-s3-verify-tls=y|n        verify the server certificate (default y)\n"
    "  --repoN-s3-ca-file=FILE          CA bundle for that\n"
    "  --repoN-s3-part-size=MB          multipart part size, 5..5120 (default 16)\n"
    "  --repoN-s3-credentials-file=FILE keys, in the AWS shared-credentials format\n"
    "  --repoN-s3-profile=NAME          profile in that file (default: default)\n"
    "  --repoN-cipher=none|aes-256-gcm  default none\n"
    "  --repoN-cipher-passphrase-file=FILE\n"
    "                                   file holding the passphrase\n"
    "  --repo=N                         read from repository N (default: the\n"
    "                                   first that has what is needed)\n"
    "  --stanza=S                       cluster directory under the root\n"
    "                                   (default: the only one)\n"
    "Secrets are never options: keys and passphrases are read from the files named.\n";

static const char *kInfo =
    "Usage: pg_safekeep info REPO [--output=text|json]\n"
    "\n"
    "Lists the backups, the logical backups (pg_dump) and the archived WAL range\n"
    "of a repository, read from the repository alone (the server may be down).\n"
    "  --output=FORMAT     text (default) or json\n";

static const char *kRestore =
    "Usage: pg_safekeep restore REPO --pgdata=DIR [OPTIONS]\n"
    "\n"
    "Restores a backup into DIR (missing or empty), checking every file's sha256,\n"
    "and sets up recovery so that starting the server replays WAL to the target.\n"
    "  --pgdata=DIR              data directory to restore into\n"
    "  --set=LABEL               backup to restore (default: newest that ends\n"
    "                            before the target; no target: the newest)\n"
    "  --target-time=TS          'YYYY-MM-DD HH:MM:SS[.frac][Z|+HH[:MM]]';\n"
    "                            without a zone the time is UTC\n"
    "  --target-lsn=LSN          e.g. 0/3000060\n"
    "  --target-xid=XID\n"
    "  --target-name=NAME        a restore point made with pg_create_restore_point\n"
    "  --target=immediate        stop as soon as the backup is consistent\n"
    "  --target-action=ACTION    promote (default), pause or shutdown\n"
    "  --target-exclusive        stop just before the target instead of after it\n"
    "  --target-timeline=TL      current, latest (PostgreSQL's default) or a\n"
    "                            timeline number: the history recovery follows\n"
    "  --archive-mode=MODE       preserve (default) keeps the backup's archive_mode;\n"
    "                            off: the restored server never archives (default\n"
    "                            with --start, so a test copy cannot push its new\n"
    "                            timeline into the live repository)\n"
    "  --tablespace-in-place     restore tablespaces as directories in pg_tblspc\n"
    "  --parallel=N              copy threads (default 2)\n"
    "  --compress-level=N        accepted and ignored\n"
    "  --start                   then start the server (pg_ctl beside pg_safekeep,\n"
    "                            log in DIR/pg_safekeep_start.log), wait for its\n"
    "                            promotion and print the RTO and RPO achieved;\n"
    "                            not as root, target action promote only\n"
    "  --port=N                  with --start: the server's port (default 5432)\n"
    "  --start-timeout=SECONDS   with --start: how long to wait for the promotion\n"
    "                            (default 3600)\n"
    "DIR must be outside every data directory and owned by the user running the\n"
    "restore (never root); a restore that fails removes what it created.\n"
    "With no target, recovery does not stop at the end of the backup: it replays\n"
    "every archived WAL segment, to the end of the archive, and then promotes\n"
    "(--target=immediate stops where the backup is consistent; --target-action\n"
    "needs a target).  RTO is the time from the start of the restore\n"
    "until the server is promoted; RPO compares the last transaction the server\n"
    "replayed (from its log) with when the newest WAL segment was archived.\n";

static const char *kArchiveGet =
    "Usage: pg_safekeep archive-get WALNAME DESTPATH REPO\n"
    "\n"
    "Fetches one archived WAL file (checking its sha256); meant as\n"
    "  restore_command = 'pg_safekeep archive-get %f \"%p\" --repo1-path=DIR'\n"
    "Exit status: 0 fetched; 1 the repository does not have it (PostgreSQL then\n"
    "ends recovery or tries another source); 200 any other error, including bad\n"
    "options, a corrupt or unreadable object. PostgreSQL treats an exit status\n"
    "above 125 as fatal, so recovery stops there instead of silently ending early.\n";

static const char *kVerify =
    "Usage: pg_safekeep verify REPO [--set=LABEL] [--wal-to-newest]\n"
    "                          [--output=text|json] [--parallel=N]\n"
    "\n"
    "Checks every backup (or LABEL): the manifest, the chain of earlier backups an\n"
    "incremental or differential reads from, and reads in full every object its\n"
    "restore would read, those of earlier backups included (present, stored size,\n"
    "decrypted and decompressed to the sha256 and size the manifest records). A bad\n"
    "object is a problem of every backup that reads it. Archived WAL from the\n"
    "backup's start to its stop segment is read too: sha256, and the page header\n"
    "must name the segment; a second copy of one WAL file is a duplicate_wal problem.\n"
    "  --set=LABEL          verify this backup only\n"
    "  --wal-to-newest      also read every WAL file after the backup up to the newest\n"
    "                       archived one, following timeline switches (history files)\n"
    "  --output=FORMAT      text (default) or json: [{label, kind, object, detail}]\n"
    "  --parallel=N         threads (default 2)\n"
    "With several repositories configured and no --repo, each is verified in turn\n"
    "(json: [{repository, outcome, error, checked, problems}]); one that cannot be\n"
    "read is a problem, one that does not hold LABEL is only said.\n"
    "Exit status: 0 no problems, 1 problems found (each printed), 2 bad options.\n";

static const char *kRekey =
    "Usage: pg_safekeep rekey REPO --repo=N --new-passphrase-file=FILE\n"
    "\n"
    "Re-wraps every data key of encrypted repository N under a key derived from\n"
    "the passphrase in FILE; no data is rewritten.  The current passphrase is read\n"
    "from --repoN-cipher-passphrase-file (or the --config file's setting).  Then\n"
    "point safekeep.repoN_cipher_passphrase_file (and the tool's option) at FILE.\n"
    "  --repo=N                   the repository to rekey\n"
    "  --new-passphrase-file=FILE the new passphrase\n";

void print_help(const std::string &name) {
    const std::string expire_text = expire_help();
    const char *text = kOverview;
    if (name == "info")
        text = kInfo;
    else if (name == "restore")
        text = kRestore;
    else if (name == "archive-get")
        text = kArchiveGet;
    else if (name == "verify")
        text = kVerify;
    else if (name == "expire")
        text = expire_text.c_str();
    else if (name == "rekey")
        text = kRekey;
    else if (!name.empty() && name != "help" && name != "version")
        throw UsageError("unknown subcommand \"" + name + "\" (try \"pg_safekeep help\")");
    std::fputs(text, stdout);
    if (text != kOverview)
        std::fputs(kRepoOptions, stdout);
}

void print_version() {
    std::printf("pg_safekeep %s\n", PG_SAFEKEEP_VERSION);
}

} // namespace safekeep::cli
