# A repository that is down does not stop backups in the others (issue 16
# part 2): with repo1 a directory and repo2 S3 (s3rver) stopped, a full
# backup completes in repo1 with outcome 'partial', the catalog, the log,
# backup_history and check_backup_health() say which repository it is not
# in, and a backup_partial notification is queued.  WAL: with the default
# safekeep.archive_require (every repository) archiving holds the segment;
# with archive_require = '1' it succeeds, the segments repo2 missed are owed
# to it and copied there once S3 is back.  An incremental goes only where its
# prior chain is.  Bad settings are clear errors that change nothing.
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

my $tmp = PostgreSQL::Test::Utils::tempdir('partial');
my $tls = "$tmp/tls";
my $data = "$tmp/s3data";
my ($s3, $url) = start_s3rver($tls, 0, $data);
my ($s3port) = $url =~ /:(\d+)$/;

my $creds = secret_file($tmp, 'credentials',
	"[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n");
# Delivery fails (nothing listens): the queued row is what is checked.
my $hook = secret_file($tmp, 'hook_url', "http://127.0.0.1:9/hook\n");
my %repo2 = %{ encrypted_s3_repo($url, $tls, $creds) };
delete $repo2{cipher};
$repo2{'s3-prefix'} = 'partial';

my ($node, $repo1) = safekeep_node(
	'partial',
	conf => repo_conf(2, \%repo2) . "safekeep.notify_webhook_url_file = '$hook'\n");

sub q1
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', $sql);
}
my $stanza = q1('SELECT system_identifier FROM pg_control_system()');
my $owed_dir = $node->data_dir . '/pg_safekeep/owed_wal/repo2';

# The S3 object of WAL file $name in repo2 (s3rver keeps one file per object).
sub in_repo2
{
	my ($name) = @_;
	my $dir = substr($name, 0, 16);
	return scalar grep { -f $_ }
	  glob("$data/pgbackups/partial/$stanza/archive/$dir/$name-*._S3rver_object");
}

sub landed
{
	my ($label) = @_;
	return q1(qq{SELECT string_agg(concat_ws(':', r->>'repo', r->>'kind', r->>'landed'), ','
                                   ORDER BY r->>'repo')
                   FROM safekeep.backup_catalog, jsonb_array_elements(repositories) r
                  WHERE label = '$label'});
}

$node->command_ok([ 'pgbench', '-i', '-s', 1, '-q', 'postgres' ], 'pgbench -i');
my $full1 = q1('SELECT safekeep.create_full_backup()');
wait_jobs_idle($node);
is(landed($full1), '1:posix:true,2:s3:true', "$full1 landed in both repositories");
is(q1(qq{SELECT outcome FROM safekeep.backup_catalog WHERE label = '$full1'}),
	'success', 'and its outcome is success');
is(q1('SELECT health_status FROM safekeep.check_backup_health()'),
	'healthy', 'health is healthy');

# --- S3 down, WAL with the default archive_require ------------------------
$s3->signal('TERM');
$s3->finish;
my $failed_before = q1('SELECT failed_count FROM pg_stat_archiver');
q1('SELECT txid_current()');
my $held = q1('SELECT pg_walfile_name(pg_switch_wal())');
$node->poll_query_until('postgres', "SELECT failed_count > $failed_before FROM pg_stat_archiver")
  or die 'archiving did not fail while S3 was down';
ok(-f $node->data_dir . "/pg_wal/archive_status/$held.ready",
	'default archive_require (every repository): with S3 down the segment stays .ready');
ok(scalar(archived_objects($repo1, $held)) == 1, 'though repo1 already holds it');
ok(!-d $owed_dir, 'nothing is owed: archiving is simply retried');

# --- bad values: clear errors, nothing changed -----------------------------
like(psql_refused($node, "ALTER SYSTEM SET safekeep.archive_require = '1;2'", "archive_require = '1;2'"),
	qr/must list repository numbers 1 to 4 separated by commas/, 'the error says how to write it');
like(psql_refused($node, "ALTER SYSTEM SET safekeep.archive_require = '5'", "archive_require = '5'"),
	qr/there is no repository 5/, 'the error says there is no such repository');
is(q1('SHOW safekeep.archive_require'), '', 'the setting is unchanged');
my $log_at = -s $node->logfile;
set_safekeep_conf($node, 'archive_require', '3');
# The archiver may be inside an attempt that began before the reload.
my $named = 0;
for (1 .. 120)
{
	$named = 1, last
	  if substr(slurp_file($node->logfile), $log_at) =~
	  /could not archive "\Q$held\E": safekeep\.archive_require names repository 3, which is not configured/;
	select(undef, undef, undef, 0.5);
}
ok($named, "archive_require = '3' (not configured): archiving fails, naming it");
ok(-f $node->data_dir . "/pg_wal/archive_status/$held.ready", 'and the segment is still held');
ok(!-d $owed_dir, 'nothing was recorded as owed');

# --- archive_require = '1': archiving goes on, repo2 is owed ---------------
set_safekeep_conf($node, 'archive_require', '1');
wait_for_archive($node, $held);
pass("archive_require = '1': the held segment is archived");
ok(-f "$owed_dir/$held", 'and owed to repo2 (a marker in PGDATA/pg_safekeep)');
my $seg2 = switch_and_wait($node);
is(scalar(archived_objects($repo1, $seg2)), 1, "WAL archived while S3 is down ($seg2) is in repo1");
ok(-f "$owed_dir/$seg2", 'and owed to repo2 too');

# --- a full backup with S3 down --------------------------------------------
my $full2 = q1('SELECT safekeep.create_full_backup()');
like($full2, qr/^\d{8}-\d{6}F$/, "create_full_backup() with S3 down completes ($full2)");
wait_jobs_idle($node);
is(job_status_of($node, $full2), 'succeeded', 'its job succeeded');
is(landed($full2), '1:posix:true,2:s3:false', 'it landed in repo1, not in repo2');
like(q1(qq{SELECT r->>'error' FROM safekeep.backup_catalog, jsonb_array_elements(repositories) r
            WHERE label = '$full2' AND r->>'repo' = '2'}),
	qr/S3/, "repo2's error is recorded");
is(q1(qq{SELECT status || '|' || outcome FROM safekeep.backup_catalog WHERE label = '$full2'}),
	'completed|partial', "the catalog says completed, outcome partial");
ok(-f "$repo1/$stanza/backup/$full2/manifest.json", 'repo1 holds the backup with its manifest');
like(q1(qq{SELECT message FROM safekeep.backup_log WHERE label = '$full2' AND event = 'completed'}),
	qr/; partial, not in repository 2 \(.*S3.*\)$/, 'the log says where it is not');
is(q1(qq{SELECT outcome || '|' || not_in_repositories::text FROM safekeep.backup_history
          WHERE label = '$full2'}),
	'partial|{2}', 'backup_history shows the outcome and the missing repository');
is(q1(qq{SELECT outcome || '|' || coalesce(not_in_repositories::text, '-')
           FROM safekeep.backup_history WHERE label = '$full1'}),
	'success|-', 'the earlier backup stays a success');
is( q1(q{SELECT health_status || '|' || (details->'partial_backup'->>'label') || '|'
                || (details->'partial_backup'->'not_in_repositories'->0->>'repo') || '|'
                || (details->'partial_backup'->'not_in_repositories'->0->>'kind')
           FROM safekeep.check_backup_health()}),
	"backup_partial|$full2|2|s3", 'health: backup_partial, naming repository 2');
like(q1(q{SELECT subject || E'\n' || body FROM safekeep.notification_log
           WHERE event = 'backup_partial' ORDER BY id DESC LIMIT 1}),
	qr/full backup completed partially.*Backup: \Q$full2\E.*not in repository 2/s,
	'a backup_partial notification names the backup and the repository');
is(q1(q{SELECT count(*) FROM safekeep.notification_log WHERE event = 'backup_failed'}),
	'0', 'and no backup_failed one');

# --- S3 back: the owed WAL reaches repo2 -----------------------------------
($s3) = start_s3rver($tls, $s3port, $data);
ok(!in_repo2($held), "repo2 lacks $held before the catch-up");
my $caught_up = 0;
for (1 .. 240)
{
	my @left = glob("$owed_dir/*");
	$caught_up = 1, last if !@left;
	sleep 1;
}
ok($caught_up, 'the catch-up pass cleared every owed marker');
ok(in_repo2($held) && in_repo2($seg2), "the owed WAL ($held, $seg2) is now in repo2");
my $seg3 = switch_and_wait($node);
ok(in_repo2($seg3), 'new WAL goes to repo2 again');
my ($rc, $out, $err) =
  run_tool('verify', repo_tool_options(2, \%repo2), "--stanza=$stanza", '--repo=2');
is($rc, 0, 'pg_safekeep verify --repo=2: the WAL in repo2 has no gap') or diag($out . $err);

# --- an incremental goes where its chain is --------------------------------
my $inc = q1('SELECT safekeep.create_incremental_backup()');
like($inc, qr/^\Q$full2\E_\d{8}-\d{6}I$/, "an incremental relative to $full2 ($inc)");
wait_jobs_idle($node);
is(landed($inc), '1:posix:true,2:s3:false', 'it went only to repo1, which holds its prior');
like(q1(qq{SELECT r->>'error' FROM safekeep.backup_catalog, jsonb_array_elements(repositories) r
            WHERE label = '$inc' AND r->>'repo' = '2'}),
	qr/does not hold backup \Q$full2\E of the prior chain/, 'repo2 is left out, with the reason');
my $full3 = q1('SELECT safekeep.create_full_backup()');
wait_jobs_idle($node);
is(landed($full3), '1:posix:true,2:s3:true', 'the next full backup lands in both again');
is(q1('SELECT health_status FROM safekeep.check_backup_health()'),
	'healthy', 'and health is healthy again');

# --- incomplete settings fail the backup, nothing is written ---------------
my @before = backup_dirs($repo1);
set_safekeep_conf($node, 'repo2_s3_bucket', '');
like(psql_refused($node, 'SELECT safekeep.create_full_backup()', 'a full backup with repo2 missing its bucket'),
	qr/repo2 is an s3 repository but its s3_endpoint or s3_bucket is not set/,
	'naming the incomplete setting');
is_deeply([ backup_dirs($repo1) ], \@before, 'and repo1 got nothing');

$node->stop;
$s3->signal('TERM');
$s3->finish;
done_testing();
