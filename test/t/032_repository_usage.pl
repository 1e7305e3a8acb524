# Every configured repository is monitored, not only repo1 (issue 16 part 1):
# safekeep.repositories() lists them from the settings, repository_info()
# reads any one of them, repository_space() and repository_usage have one
# row each (kind, location, encryption, counts, free space for directories),
# and with the S3 repository down its row says why while the others stay
# whole. Bad repository numbers are clear errors.
use strict;
use warnings;

use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

my $s3dir = "$FindBin::RealBin/../s3";
plan skip_all => 's3rver is not installed (npm ci in test/s3)'
  unless -d "$s3dir/node_modules/s3rver";

my $tmp = PostgreSQL::Test::Utils::tempdir('usage');
my ($s3, $url) = start_s3rver("$tmp/tls", 0, "$tmp/s3data");

my $creds = secret_file($tmp, 'credentials',
	"[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n");
my $pass = secret_file($tmp, 'pass2', "repo2's own passphrase\n");
my $repo2 = "$tmp/repo2";
mkdir $repo2 or die $!;

my ($node, $repo1) = safekeep_node(
	'usage', conf => qq{
safekeep.repo2_path = '$repo2'
safekeep.repo2_cipher = 'aes-256-gcm'
safekeep.repo2_cipher_passphrase_file = '$pass'
safekeep.repo3_type = 's3'
safekeep.repo3_s3_endpoint = '$url'
safekeep.repo3_s3_bucket = 'pgbackups'
safekeep.repo3_s3_prefix = 'usage'
safekeep.repo3_s3_ca_file = '$tmp/tls/cert.pem'
safekeep.repo3_s3_credentials_file = '$creds'
});

sub q1
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', $sql);
}

is( q1(q{SELECT string_agg(concat_ws('|', repository, kind, location, encrypted), E'\n'
                           ORDER BY repository) FROM safekeep.repositories()}),
	"1|posix|$repo1|f\n2|posix|$repo2|t\n3|s3|s3://pgbackups/usage|f",
	'repositories() lists the three configured repositories from the settings');

my $label = q1('SELECT safekeep.create_full_backup()');
like($label, qr/^\d{8}-\d{6}F$/, "a full backup to all three ($label)");
wait_jobs_idle($node);

my $usage = q{SELECT string_agg(concat_ws('|', repository, repository_number, storage_kind,
                                          object_storage, encrypted, backups, newest_backup,
                                          holds_newest_backup, wal_files > 0,
                                          free_bytes IS NOT NULL, filesystem_bytes IS NOT NULL,
                                          coalesce(error, '-')),
                                E'\n' ORDER BY repository_number)
                FROM safekeep.repository_usage};
is( q1($usage),
	"repo1|1|posix|f|f|1|$label|t|t|t|t|-\n"
	  . "repo2|2|posix|f|t|1|$label|t|t|t|t|-\n"
	  . "repo3|3|s3|t|f|1|$label|t|t|f|f|-",
	'repository_usage: one row per repository, each holding the backup; free space for directories only');
is( q1(q{SELECT string_agg(repository || '|' || (free_bytes IS NOT NULL), ',' ORDER BY repository)
           FROM safekeep.repository_space()}),
	'repo1|true,repo2|true,repo3|false', 'repository_space(): every repository, no file system for S3');
is(q1(qq{SELECT safekeep.repository_info(false, 3)->'backups'->0->>'label'}),
	$label, 'repository_info(repository => 3) reads the S3 repository');
is(q1(qq{SELECT safekeep.repository_info(false, 2)->'backups'->0->>'label'}),
	$label, 'and repository => 2 the encrypted directory');

# --- bad repository numbers ------------------------------------------------
for my $case ([ 5, qr/repository 5 does not exist: repositories are numbered 1 to 4/ ],
	[ 0, qr/repository 0 does not exist/ ], [ 4, qr/repository 4 is not configured/ ])
{
	my ($n, $want) = @$case;
	my ($rc, $out, $err) =
	  $node->psql('postgres', "SELECT safekeep.repository_info(false, $n)");
	isnt($rc, 0, "repository_info(repository => $n) is refused");
	like($err, $want, "repository $n: the error says why");
}

# --- verify reads every repository ----------------------------------------
# A flipped byte in repo2 only (issue 16: SQL verify found nothing when only
# the second repository's copy was bad).
my $stanza = q1('SELECT system_identifier FROM pg_control_system()');
my ($victim) = grep { m{/backup/\Q$label\E/data/base/.*/\d+\.zst} && -s $_ > 4096 }
  files_under("$repo2/$stanza");
ok($victim, "an object of $label in repo2 to damage");
my @repo1_files = map { [ $_, -s $_ ] } files_under("$repo1/$stanza/backup");
flip_bytes($victim);
my $rows = q1(qq{SELECT string_agg(concat_ws('|', label, problem, repository), E'\n')
                   FROM safekeep.verify_backup('$label')});
like($rows, qr/^\Q$label\E\|corrupt_object\|2$/m,
	'SQL verify_backup finds the bad object in repository 2');
unlike($rows, qr/\|1$/m, 'and nothing in repository 1');
is(q1(qq{SELECT verify_status FROM safekeep.backup_catalog WHERE label = '$label'}),
	'failed', 'the backup is recorded as failed verification');
is_deeply([ map { [ $_, -s $_ ] } files_under("$repo1/$stanza/backup") ],
	\@repo1_files, 'repo1 is untouched');
my @cli = ("--repo1-path=$repo1", "--repo2-path=$repo2", '--repo2-cipher=aes-256-gcm',
	"--repo2-cipher-passphrase-file=$pass", "--stanza=$stanza");
my ($rc, $out, $err) = run_tool('verify', @cli, "--set=$label");
is($rc, 1, 'pg_safekeep verify without --repo exits 1: a problem in one repository');
like($out, qr/^repo1: verified 1 backup\(s\): 0 problem\(s\)$/m, 'the CLI verified repo1: clean');
like($out, qr/^repo2: verified 1 backup\(s\): 1 problem\(s\)$/m, 'and repo2: one problem');
like($out, qr/corrupt_object/, 'which it names');

# --- repo3 down: its row says so, the others are whole ---------------------
$s3->signal('TERM');
$s3->finish;
my $down = q1(
	q{SELECT string_agg(concat_ws('|', repository, coalesce(backups::text, 'none'), holds_newest_backup,
                                  error IS NOT NULL), E'\n' ORDER BY repository_number)
        FROM safekeep.repository_usage});
is($down, "repo1|1|t|f\nrepo2|1|t|f\nrepo3|none|f|t",
	'with S3 down: repo3 has an error and no counts, repo1 and repo2 are unchanged');
like(q1(q{SELECT error FROM safekeep.repository_usage WHERE repository = 'repo3'}),
	qr/could not read repository 3: .*S3/, 'the error names the repository and S3');
$rows = q1(qq{SELECT string_agg(concat_ws('|', label, problem, repository), E'\n' ORDER BY 2)
                FROM safekeep.verify_backup('$label')});
like($rows, qr/^\Q$label\E\|unreachable_repository\|3$/m,
	'verify with S3 down: repository 3 is an unreachable_repository problem, no error');
like($rows, qr/^\Q$label\E\|corrupt_object\|2$/m, 'repository 2 was still verified');
like(q1(qq{SELECT p->>'detail' FROM safekeep.backup_catalog c, jsonb_array_elements(c.verify_problems) p
            WHERE c.label = '$label' AND p->>'kind' = 'unreachable_repository'}),
	qr/^repository 3 could not be read: .*S3/, 'the problem says why');
is(q1(q{SELECT count(*) FROM safekeep.repositories()}),
	'3', 'repositories() still lists all three (settings only)');

$node->stop;
done_testing();
