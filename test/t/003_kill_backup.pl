# Faults during a backup: the job worker killed with SIGKILL mid-copy, and the
# server restarted mid-copy.  Each time the catalog must say failed, the
# repository must hold nothing for that label, and the next backup must succeed.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;
use Time::HiRes qw(sleep);

# restart_after_crash: the point is what the library does after crash recovery.
my ($node, $repo) = safekeep_node('primary', conf => "restart_after_crash = on\n");
$node->command_ok([ 'pgbench', '-i', '-s', 20, '-q', 'postgres' ], 'pgbench -i -s 20');

# A slow compression level stretches the copy so that the worker is caught in it.
sub set_compress_level
{
	my ($level) = @_;
	$node->safe_psql('postgres',
		"ALTER SYSTEM SET safekeep.compress_level = $level; SELECT pg_reload_conf()");
}

# Queues a backup and waits until its worker is copying files; returns
# (job id, label, worker pid).
sub start_backup_and_catch_worker
{
	my $job = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup(wait => false)');
	like($job, qr/^\d+$/, "create_full_backup(wait => false) returns a job id ($job)");
	my ($label, $pid);
	for (my $i = 0; $i < 600; $i++)
	{
		my $row = $node->safe_psql(
			'postgres', q{
SELECT c.label, a.pid
FROM safekeep.backup_catalog c, pg_stat_activity a
WHERE c.status = 'running' AND a.backend_type = 'pg_safekeep job worker'
LIMIT 1});
		($label, $pid) = split /\|/, $row;
		# Copying has begun once the backup's data directory holds a file.
		my ($dir) = $pid ? backup_dirs($repo, $label) : ();
		last if $dir && -d "$dir/data" && files_under("$dir/data");
		$pid = undef;
		my ($state, $error) = split /\|/,
		  $node->safe_psql('postgres',
			"SELECT status, error_message FROM safekeep.jobs WHERE id = $job");
		die("backup job $job ended ($state: " . ($error // '') . ") before its worker was caught")
		  if $state eq 'succeeded' || $state eq 'failed';
		sleep 0.1;
	}
	die 'no running backup worker appeared' unless $pid;
	note("backup $label is running in worker $pid");
	return ($job, $label, $pid);
}

# The catalog and the repository agree that $label failed and left nothing.
sub check_failed_cleanly
{
	my ($job, $label, $what) = @_;
	$node->poll_query_until('postgres',
		"SELECT status = 'failed' FROM safekeep.backup_catalog WHERE label = '$label'")
	  or die "backup_catalog never marked $label failed";
	pass("$what: backup_catalog says failed for $label");
	is($node->safe_psql('postgres', "SELECT status FROM safekeep.jobs WHERE id = $job"),
		'failed', "$what: the job is failed");

	# The directory may be removed a moment after the catalog is updated.
	for (my $i = 0; $i < 100 && backup_dirs($repo, $label); $i++) { sleep 0.1 }
	is(scalar(backup_dirs($repo, $label)), 0, "$what: the repository has no directory for $label");
	my @manifests = glob("$repo/*/backup/$label/manifest.json");
	is(scalar @manifests, 0, "$what: and no manifest");
	my $info = tool_info($repo);
	ok(!grep({ $_->{label} eq $label } @{ $info->{backups} }),
		"$what: pg_safekeep info does not list it");
}

sub next_backup_succeeds
{
	my ($what) = @_;
	my $label = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
	like($label, qr/^\d{8}-\d{6}F$/, "$what: the next backup succeeds ($label)");
	is($node->safe_psql('postgres', "SELECT status FROM safekeep.backup_catalog WHERE label = '$label'"),
		'completed', "$what: and is completed in the catalog");
	is(job_status_of($node, $label), 'succeeded', "$what: its job succeeded");
	my @manifests = glob("$repo/*/backup/$label/manifest.json");
	is(scalar @manifests, 1, "$what: with a manifest");
}

# --- SIGKILL of the job worker ---------------------------------------------------
set_compress_level(15);
my ($job, $label, $pid) = start_backup_and_catch_worker();
ok(kill('KILL', $pid), "SIGKILL to job worker $pid");

# The postmaster restarts every backend after a crash: wait for it to be back.
$node->poll_query_until('postgres', 'SELECT true') or die 'server did not come back';
check_failed_cleanly($job, $label, 'SIGKILL');
set_compress_level(3);
next_backup_succeeds('SIGKILL');

# --- server restart during a backup -------------------------------------------------
set_compress_level(15);
($job, $label, $pid) = start_backup_and_catch_worker();
$node->restart;
check_failed_cleanly($job, $label, 'restart');
set_compress_level(3);
next_backup_succeeds('restart');

# After a backup its worker goes on to verify it and apply retention, then exits.
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pg_safekeep job worker'"),
	'no job worker is left running');

$node->stop;
done_testing();
