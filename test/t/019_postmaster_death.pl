# kill -9 of the postmaster: no process of the cluster may outlive it.  The
# job worker (in a throttled backup's copy, or in a table recovery whose
# scratch server runs), the launcher and the scratch server must all be gone
# within a bounded wait, `pg_ctl start` must work at once (no "pre-existing
# shared memory block"), the repository must stay consistent and the
# restarted catalog must say the killed job failed.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;
use Time::HiRes qw(sleep);

my $scratch = PostgreSQL::Test::Utils::tempdir('scratch');
my ($node, $repo) = safekeep_node('primary', conf => "safekeep.scratch_dir = '$scratch'\n");
$node->command_ok([ 'pgbench', '-i', '-s', 10, '-q', 'postgres' ], 'pgbench -i -s 10');
$node->safe_psql('postgres', q{
CREATE TABLE items (id int PRIMARY KEY, note text NOT NULL);
INSERT INTO items SELECT i, 'row ' || i FROM generate_series(1, 1000) i;
});

# An intact backup taken before any fault: it must verify after each one.
my $intact = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
like($intact, qr/^\d{8}-\d{6}F$/, "intact backup $intact");
wait_jobs_idle($node);

sub postmaster_pid
{
	my $pid = (split /\n/, slurp_file($node->data_dir . '/postmaster.pid'))[0];
	return $pid =~ /^(\d+)$/ ? $1 : die "no pid in postmaster.pid";
}

# pid => "pid ppid cmd" of every child of $ppid.
sub children_of
{
	my ($ppid) = @_;
	my %kids;
	for my $line (split /\n/, `ps -o pid=,ppid=,cmd= --ppid $ppid`)
	{
		$kids{$1} = $line if $line =~ /^\s*(\d+)\s/;
	}
	return %kids;
}

# A process is gone when /proc has no entry for it, or only a zombie's
# (a container's init may be slow to reap what it inherited).
sub alive
{
	my ($pid) = @_;
	open(my $fh, '<', "/proc/$pid/stat") or return 0;
	my $stat = <$fh>;
	close $fh;
	return 0 unless defined $stat;
	my ($state) = $stat =~ /\)\s+(\S)/;
	return defined $state && $state ne 'Z' && $state ne 'X';
}

# Kills the postmaster with SIGKILL and waits (a functional bound, not a
# timing assertion) until none of %procs (pid => description) is alive.
sub kill_postmaster_and_wait
{
	my ($what, %procs) = @_;
	my $pm = postmaster_pid();
	note("$what: processes before the kill:\n" . join("\n", values %procs));
	ok(kill('KILL', $pm), "$what: SIGKILL to postmaster $pm");
	my @left;
	for (my $i = 0; $i < 150; $i++)
	{
		@left = grep { alive($_) } sort keys %procs;
		last unless @left;
		sleep 0.1;
	}
	is_deeply(\@left, [], "$what: every process of the cluster has exited")
	  or diag("still alive:\n" . join("\n", map { $procs{$_} } @left) . "\n" . `ps -o pid,ppid,stat,cmd -e`);
	# The dead postmaster itself must also be reaped by whoever inherited it
	# (init; in a container that can lag): until then kill(pid, 0) succeeds
	# and the new postmaster takes the old postmaster.pid for a live one.
	for (my $i = 0; $i < 150 && -e "/proc/$pm"; $i++) { sleep 0.1 }
	ok(!-e "/proc/$pm", "$what: the killed postmaster $pm has been reaped");
	# The Cluster object still thinks its postmaster runs.
	$node->{_pid} = undef;
}

# pg_ctl start right away, with no complaint about shared memory.
sub restart_at_once
{
	my ($what) = @_;
	my $log_before = -s $node->logfile;
	ok($node->start(fail_ok => 1), "$what: pg_ctl start works at once");
	my $log = substr(slurp_file($node->logfile), $log_before);
	unlike($log, qr/pre-existing shared memory block/, "$what: no pre-existing shared memory block");
	$node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_safekeep launcher'})
	  or die 'no launcher after the restart';
}

sub job_failed_after_restart
{
	my ($what, $job) = @_;
	ok( $node->poll_query_until(
			'postgres', "SELECT status = 'failed' FROM safekeep.jobs WHERE id = $job"),
		"$what: after the restart the catalog says job $job failed");
}

sub intact_backup_verifies
{
	my ($what) = @_;
	my ($rc, $out, $err) = run_tool('verify', "--repo1-path=$repo", "--set=$intact");
	is($rc, 0, "$what: pg_safekeep verify of the intact backup $intact passes");
}

# Every process the postmaster started, and the named ones among them.
sub cluster_processes
{
	my %procs = children_of(postmaster_pid());
	return %procs;
}

sub pid_of_type
{
	my ($type) = @_;
	return $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = '$type' LIMIT 1");
}

# --- (a) during a throttled full backup's copy ----------------------------------
# max_rate has kB units: 1MB is 1 MiB/s, so the copy takes a while.
$node->safe_psql('postgres', q{ALTER SYSTEM SET safekeep.max_rate = '1MB'; SELECT pg_reload_conf()});
my $job = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup(wait => false)');
like($job, qr/^\d+$/, "(a) backup queued as job $job");
my ($label, $bytes);
ok( $node->poll_query_until(
		'postgres',
		"SELECT phase = 'copying' AND bytes_done > 0 FROM safekeep.backup_progress WHERE job_id = $job"),
	'(a) backup_progress shows the backup copying');
($label, $bytes) = split /\|/,
  $node->safe_psql('postgres',
	"SELECT label, bytes_done FROM safekeep.backup_progress WHERE job_id = $job");
note("(a) backup $label has copied $bytes bytes");
my $worker = pid_of_type('pg_safekeep job worker');
my $launcher = pid_of_type('pg_safekeep launcher');
my %procs = cluster_processes();
ok($procs{$worker} && $procs{$worker} =~ /pg_safekeep job/, "(a) job worker $worker is a child of the postmaster");
ok($procs{$launcher}, "(a) launcher $launcher too");
my $log_before = -s $node->logfile;
kill_postmaster_and_wait('(a)', %procs);
like(substr(slurp_file($node->logfile), $log_before),
	qr/pg_safekeep job $job stops: the postmaster died/,
	'(a) the job worker noticed the postmaster death and stopped itself');
is(scalar(my @killed = glob("$repo/*/backup/$label/manifest.json")), 0,
	'(a) the killed backup has no manifest');
restart_at_once('(a)');
job_failed_after_restart('(a)', $job);
is($node->safe_psql('postgres', "SELECT status FROM safekeep.backup_catalog WHERE label = '$label'"),
	'failed', "(a) backup_catalog says $label failed");
for (my $i = 0; $i < 100 && backup_dirs($repo, $label); $i++) { sleep 0.1 }
is(scalar(backup_dirs($repo, $label)), 0, "(a) the repository has no directory for $label");
is(scalar(my @m = glob("$repo/*/backup/$label/manifest.json")), 0, '(a) and no manifest');
ok(!grep({ $_->{label} eq $label } @{ tool_info($repo)->{backups} }),
	'(a) pg_safekeep info does not list it');
intact_backup_verifies('(a)');
$node->safe_psql('postgres', q{ALTER SYSTEM RESET safekeep.max_rate; SELECT pg_reload_conf()});

# --- (b) during a table recovery, its scratch server running -------------------
# An uncommitted CREATE SCHEMA holds the job's CREATE SCHEMA IF NOT EXISTS in
# the live database, while its scratch copy is up: a lock wait inside
# PostgreSQL, which exits by itself on postmaster death (WL_EXIT_ON_PM_DEATH);
# the scratch server must go with it.
my ($bin, $bout, $berr) = ("BEGIN;\nCREATE SCHEMA blocked_target;\nSELECT 'holding';\n", '', '');
my $blocker = IPC::Run::start(
	[ 'psql', '-XAtq', '-h', $node->host, '-p', $node->port, '-d', 'postgres' ],
	'<', \$bin, '>', \$bout, '2>', \$berr);
$blocker->pump until $bout =~ /holding/;
$job = $node->safe_psql('postgres',
	q{SELECT safekeep.recover_table('public.items', into_schema => 'blocked_target', wait => false)});
like($job, qr/^\d+$/, "(b) table recovery queued as job $job");
$worker = undef;
ok( $node->poll_query_until(
		'postgres', q{
SELECT count(*) = 1 FROM pg_stat_activity
 WHERE backend_type = 'pg_safekeep job worker' AND wait_event_type = 'Lock'}),
	'(b) the job waits on the lock, its scratch copy restored');
$worker = pid_of_type('pg_safekeep job worker');
my ($pidfile) = glob("$scratch/*/pgdata/postmaster.pid");
ok($pidfile, "(b) the scratch server runs ($pidfile)");
my $scratch_pm = (split /\n/, slurp_file($pidfile))[0];
my %scratch_procs = children_of($scratch_pm);
ok(scalar(keys %scratch_procs) > 0, "(b) scratch postmaster $scratch_pm has children");
%procs = (cluster_processes(), %scratch_procs, $scratch_pm => "$scratch_pm scratch postmaster");
ok($procs{$worker}, "(b) job worker $worker is a child of the postmaster");
kill_postmaster_and_wait('(b)', %procs);
$blocker->kill_kill;
is_deeply([ glob("$scratch/*") ], [], '(b) the job worker removed its scratch copy on the way out');
restart_at_once('(b)');
job_failed_after_restart('(b)', $job);
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 0 FROM pg_namespace WHERE nspname = 'blocked_target'}),
	'(b) nothing was recovered into the target schema');
is_deeply([ glob("$scratch/*") ], [], '(b) no scratch directory after the restart');
intact_backup_verifies('(b)');

# --- afterwards: archiving and backups work as before ---------------------------
my $segment = switch_and_wait($node);
ok(scalar(archived_objects($repo, $segment)), "archiving works after the restarts ($segment)");
my $after = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
like($after, qr/^\d{8}-\d{6}F$/, "a new backup succeeds ($after)");
sleep 2.5; # its stop time is rounded up by a second; recover to a moment after it
my $rec = $node->safe_psql('postgres',
	q{SELECT safekeep.recover_table('public.items', into_schema => 'after_faults')});
like($rec, qr/1000 rows/, 'a table recovery succeeds');
is_deeply([ glob("$scratch/*") ], [], 'and leaves no scratch directory');

$node->stop;
done_testing();
