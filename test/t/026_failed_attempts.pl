# Backups that fail before they have a label (issue 15, part 5) are failed
# backups like any other, however they were started: the repository made
# read-only (chmod 0555 on its root; the servers run as postgres, so this
# bites) for a waiting full backup, a full one with wait => false and an
# incremental one; an S3 repository whose endpoint is a closed port; and
# archive_library misconfigured.  Each gives the caller a clear error (or
# its job id), a failed backup_catalog row with the error under a label no
# backup can have, the failed job, check_backup_health() naming it, one
# webhook, a lower success rate, and changes nothing else.  Repaired, the
# next backup succeeds under an ordinary label and health recovers.
use strict;
use warnings;

use JSON::PP;
use NotifyTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

my $r = NotifyTest->new;
my $url_file = webhook_url_file("http://127.0.0.1:$r->{http_port}/hook");
my $quiet = qq{
safekeep.notify_webhook_url_file = '$url_file'
safekeep.verify_after_backup = off
safekeep.expire_after_backup = off
safekeep.drill_interval = 0
};
my ($node, $repo) = safekeep_node('attempts', conf => $quiet);

# Webhook texts received so far that mention $what.
sub hooks_about
{
	my ($what) = @_;
	return grep { index($_, $what) >= 0 } map { decode_json($_)->{text} } $r->hook_lines;
}

sub q1 { my ($n, $sql) = @_; return $n->safe_psql('postgres', $sql) }

# Real backups' rows and the repository without its WAL (which the archiver
# may ship meanwhile): what a failed attempt must leave alone.
sub snapshot
{
	my ($n, $dir) = @_;
	my $rows = q1($n,
		q{SELECT string_agg(concat_ws(' ', label, backup_type, status, backup_file, checksum), E'\n' ORDER BY label)
            FROM safekeep.backup_catalog WHERE label !~ '^failed-job-'});
	my @files = $dir ? grep { !m{/archive/} } files_under($dir) : ();
	return join("\n", $rows, '--', @files);
}

# One attempt that must fail: $sql through psql; with wait => false it
# returns the job id, otherwise the error names the job and $error_re.
# Checks the catalog row, the job, health and the notification.
sub attempt_fails
{
	my ($n, $what, $sql, $type, $error_re) = @_;
	my ($rc, $out, $err) = $n->psql('postgres', $sql);
	my $job;
	if ($sql =~ /wait => false/)
	{
		is($rc, 0, "$what: the call returns at once");
		like($out, qr/^\d+$/, "$what: with the job id ($out)");
		$job = $out;
		$n->poll_query_until('postgres',
			"SELECT status NOT IN ('queued', 'running') FROM safekeep.jobs WHERE id = $job")
		  or die "$what: job $job did not finish";
	}
	else
	{
		isnt($rc, 0, "$what: the call fails");
		like($err, qr/pg_safekeep job (\d+) failed: $error_re/, "$what: the error says what is wrong");
		($job) = $err =~ /pg_safekeep job (\d+) failed/;
	}
	$job //= 0;
	wait_jobs_idle($n);
	my $label = "failed-job-$job";
	my ($kind, $status, $jlabel, $jerror) = split /\|/, q1($n,
		"SELECT kind, status, label, error_message FROM safekeep.jobs WHERE id = $job");
	is("$kind $status $jlabel", "${type}_backup failed $label", "$what: the job failed, naming its row");
	like($jerror // '', qr/^$error_re/, "$what: the job holds the error");
	is( q1($n,
			"SELECT concat_ws(' ', backup_type, status, job_id, backup_file IS NULL, completed_at >= started_at,
                              error_message = \$e\$$jerror\$e\$)
               FROM safekeep.backup_catalog WHERE label = '$label'"),
		"$type failed $job t t t",
		"$what: backup_catalog has the failed $type attempt $label with the error");
	is(q1($n, "SELECT string_agg(event, ',') FROM safekeep.backup_log WHERE label = '$label'"),
		'failed', "$what: backup_log records the failure");
	is( q1($n,
			"SELECT health_status || ' ' || (details->'last_failed_backup'->>'label') || ' '
                    || (details->'last_failed_backup'->>'error' = \$e\$$jerror\$e\$)
               FROM safekeep.check_backup_health()"),
		"backup_failed $label true",
		"$what: check_backup_health() says backup_failed and names the failure");
	is( q1($n,
			"SELECT count(*) || ' ' || bool_and(subject LIKE '%$type backup failed%' AND strpos(body, \$e\$$jerror\$e\$) > 0)
               FROM safekeep.notification_log WHERE event = 'backup_failed' AND strpos(body, 'Backup: $label') > 0"),
		'1 true', "$what: one failure notification is queued, with the error");
	ok(wait_for(sub { hooks_about("Backup: $label\n") >= 1 }, 90), "$what: the webhook is delivered");
	my ($hook) = hooks_about("Backup: $label\n");
	like($hook // '', qr/\Q$type\E backup failed/, "$what: the webhook says a $type backup failed");
	ok(index($hook // '', "Error: $jerror") >= 0, "$what: the webhook carries the error");
	return $label;
}

sub success_rate
{
	my ($n) = @_;
	return q1($n,
		q{SELECT metric_value FROM safekeep.monitor_backup_performance()
           WHERE metric_name = 'backup_success_rate_30d_percent'});
}

# ---- (a) the repository made read-only ------------------------------------
my $f1 = q1($node, 'SELECT safekeep.create_full_backup()');
like($f1, qr/^\d{8}-\d{6}F$/, "a first full backup $f1");
wait_jobs_idle($node);
is(q1($node, 'SELECT health_status FROM safekeep.check_backup_health()'), 'healthy', 'healthy at first');
is(success_rate($node), '100.0', 'success rate 100% at first');
my $before = snapshot($node, $repo);

my $mode = (stat $repo)[2] & 07777;
chmod 0555, $repo or die "chmod $repo: $!";
my $unwritable = qr/unusable repository: repository path "\Q$repo\E" is not writable/;
my @attempts;
push @attempts, attempt_fails($node, 'read-only repository, waiting full',
	'SELECT safekeep.create_full_backup()', 'full', $unwritable);
push @attempts, attempt_fails($node, 'read-only repository, full with wait => false',
	'SELECT safekeep.create_full_backup(wait => false)', 'full', $unwritable);
push @attempts, attempt_fails($node, 'read-only repository, incremental',
	'SELECT safekeep.create_incremental_backup()', 'incremental', $unwritable);
is(success_rate($node), '25.0', 'the success rate counts the three failures (1 of 4)');
is(q1($node, q{SELECT sum(failed) || '/' || sum(backups) FROM safekeep.backup_success_daily}),
	'3/4', 'and so does backup_success_daily');
is(q1($node, q{SELECT count(*) FROM safekeep.notification_log WHERE event = 'backup_failed'}),
	'3', 'one failure notification per attempt, no more');
is(snapshot($node, $repo), $before, 'the other backups and the repository are unchanged');

chmod $mode, $repo or die "chmod $repo: $!";
q1($node, 'SELECT safekeep.sync_catalog()');
is( q1($node,
		q{SELECT string_agg(status || ':' || (error_message LIKE 'unusable repository:%'), ',')
            FROM safekeep.backup_catalog WHERE label LIKE 'failed-job-%'}),
	'failed:true,failed:true,failed:true', 'sync_catalog() leaves the failed attempts as they are');
my $f2 = q1($node, 'SELECT safekeep.create_full_backup()');
like($f2, qr/^\d{8}-\d{6}F$/, "writable again, the next full backup succeeds: $f2");
ok($f2 gt $f1, 'under an ordinary label after the first one');
wait_jobs_idle($node);
is(q1($node, 'SELECT health_status FROM safekeep.check_backup_health()'), 'healthy', 'health recovers');
is(success_rate($node), '40.0', 'the success rate counts the new backup (2 of 5)');
is(scalar(backup_dirs($repo)), 2, 'the repository holds the two backups, nothing of the attempts');

# ---- (c) archive_library misconfigured ------------------------------------
sub set_archive_library
{
	my ($value) = @_;
	q1($node, defined $value ? "ALTER SYSTEM SET archive_library = '$value'" : 'ALTER SYSTEM RESET archive_library');
	$node->reload;
	my $want = $value // 'pg_safekeep';
	$node->poll_query_until('postgres', "SELECT current_setting('archive_library') = '$want'")
	  or die "archive_library did not become $want";
}
$before = snapshot($node, $repo);
set_archive_library('');
push @attempts, attempt_fails($node, 'archive_library misconfigured',
	'SELECT safekeep.create_full_backup()', 'full', qr/archive_library is "", not pg_safekeep: set archive_library = 'pg_safekeep'/);
is(snapshot($node, $repo), $before, 'the other backups and the repository are unchanged');
set_archive_library(undef);
my $f3 = q1($node, 'SELECT safekeep.create_full_backup()');
like($f3, qr/^\d{8}-\d{6}F$/, "archive_library repaired, the next full backup succeeds: $f3");
wait_jobs_idle($node);
is(q1($node, 'SELECT health_status FROM safekeep.check_backup_health()'), 'healthy', 'health recovers again');
is(q1($node, q{SELECT count(*) FROM safekeep.backup_catalog WHERE status = 'failed'}),
	'4', 'four failed attempts in the catalog');

# ---- (b) an S3 repository whose endpoint is a closed port -----------------
my $closed = PostgreSQL::Test::Cluster::get_free_port();
my $creds = secret_file(PostgreSQL::Test::Utils::tempdir('s3creds'),
	'credentials', "[default]\naws_access_key_id = KEY\naws_secret_access_key = SECRET\n");
my ($s3node) = safekeep_node('s3down', conf => $quiet . qq{
safekeep.repo1_path = ''
safekeep.repo1_type = 's3'
safekeep.repo1_s3_endpoint = 'http://127.0.0.1:$closed'
safekeep.repo1_s3_bucket = 'pgbackups'
safekeep.repo1_s3_credentials_file = '$creds'
});
is(q1($s3node, 'SELECT health_status FROM safekeep.check_backup_health()'), 'no_backups',
	'S3 node: no_backups before anything was attempted');
my $s3label = attempt_fails($s3node, 'S3 endpoint a closed port', 'SELECT safekeep.create_full_backup()',
	'full', qr/could not start the backup: S3 .* failed after \d+ attempts: Failed to connect to 127\.0\.0\.1 port $closed/);
is(success_rate($s3node), '0.0', 'S3 node: the success rate is 0%');
is(q1($s3node, 'SELECT count(*) FROM safekeep.backup_catalog'), '1', 'S3 node: the attempt is its only row');

$s3node->stop;
$node->stop;
$r->stop;
done_testing();
