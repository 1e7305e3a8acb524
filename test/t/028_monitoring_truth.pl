# Monitoring figures say what they claim: backup_progress shows only phases
# README lists and the role that asked (also before the job's safekeep.jobs
# row exists); check_backup_health()'s compression_ratio is total bytes held
# over total bytes stored; repository_usage.holds_newest_backup picks the
# newest physical backup by its label's own stamp and is not fooled by a
# newer logical backup, which has a column of its own.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

my ($node, $repo) = safekeep_node(
	'truth', conf => qq{
safekeep.drill_interval = 0
safekeep.verify_after_backup = off
safekeep.parallel = 1
});

sub q1
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', $sql);
}

sub as_dba
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', $sql, extra_params => [ '-U', 'dba' ]);
}

sub set_conf { return set_safekeep_conf($node, @_); }

# The phases README's "Monitoring" table lists.
my $readme = slurp_file(($ENV{TESTDIR} // '.') . '/README.md');
my ($table) = $readme =~ /The phases:\n\n((?:\|.*\n)+)/;
my %documented = map { /^\| `([^`]+)` \|/ ? ($1 => 1) : () } split /\n/, ($table // '');
ok(exists $documented{copying} && exists $documented{queued},
	'README lists the backup_progress phases (' . join(',', sort keys %documented) . ')');

$node->command_ok([ 'pgbench', '-i', '-s', 2, '-q', 'postgres' ], 'pgbench -i -s 2');
q1('CREATE ROLE dba LOGIN IN ROLE safekeep_admin');

# --- compression_ratio with nothing stored ---------------------------------------
is(q1(q{SELECT details->>'compression_ratio' IS NULL FROM safekeep.check_backup_health()}),
	't', 'compression_ratio is NULL before any backup');

# --- backup_progress: who asked, and only documented phases -------------------------
# The worker's job_started blocks on the held lock: the slot runs, no phase
# is published yet and safekeep.jobs has no row for the job.
set_conf('max_rate', '4096');
my $holder = $node->background_psql('postgres');
$holder->query_safe('BEGIN');
$holder->query_safe('LOCK TABLE safekeep.jobs IN EXCLUSIVE MODE');
my $job = as_dba('SELECT safekeep.create_full_backup(wait => false)');
$node->poll_query_until('postgres',
	"SELECT phase = 'running' FROM safekeep.backup_progress WHERE job_id = $job")
  or die 'the backup never showed as running';
is( as_dba(
		"SELECT phase || '|' || coalesce(requested_by::text, '<null>') FROM safekeep.backup_progress WHERE job_id = $job"
	),
	'running|dba',
	'a started backup shows phase running and the safekeep_admin member that asked');
is(q1("SELECT count(*) FROM safekeep.jobs WHERE id = $job"),
	'0', 'while safekeep.jobs has no row for it yet');
ok($documented{running}, 'running is a documented phase');

# Sample until the job has left the view (it reads shared memory, not a
# snapshot); the lock goes once the sampler has its first row.
my $sampler = $node->background_psql('postgres', extra_params => [ '-U', 'dba' ]);
$sampler->query_safe('CREATE TEMP TABLE seen AS SELECT * FROM safekeep.backup_progress WHERE false');
$sampler->query_safe("INSERT INTO seen SELECT * FROM safekeep.backup_progress WHERE job_id = $job");
$holder->query_safe('COMMIT');
$holder->quit;
$sampler->query_safe(
	qq{
DO \$\$
BEGIN
    FOR i IN 1..60000 LOOP
        INSERT INTO seen SELECT * FROM safekeep.backup_progress WHERE job_id = $job;
        EXIT WHEN NOT FOUND;
        PERFORM pg_sleep(0.01);
    END LOOP;
END;
\$\$});
my ($nseen, $who_ok, $phases) = split /\|/, $sampler->query_safe(
	q{SELECT count(*), bool_and(requested_by = 'dba'), string_agg(DISTINCT phase, ',' ORDER BY phase)
        FROM seen});
$sampler->quit;
note("backup_progress: $nseen samples, phases $phases");
ok($nseen > 1, 'the sampler saw the backup while it ran');
is($who_ok, 't', 'every sample names dba as the role that asked');
my @undocumented = grep { !$documented{$_} } split /,/, $phases;
is("@undocumented", '', "every phase shown is one README lists ($phases)");
my $full = q1("SELECT label FROM safekeep.jobs WHERE id = $job");
is(job_status_of($node, $full), 'succeeded', "the watched backup $full succeeded");
is(q1("SELECT requested_by FROM safekeep.jobs WHERE id = $job"),
	'dba', 'safekeep.jobs records the same role');
wait_jobs_idle($node);
set_conf('max_rate', undef);

# --- holds_newest_backup per kind --------------------------------------------------
my $logical = q1('SELECT safekeep.create_logical_backup()');
wait_jobs_idle($node);
# What misled max(label) across both kinds: the logical label sorts last.
ok($logical gt $full, "the logical backup $logical sorts after $full");
is( q1(
		q{SELECT concat_ws('|', newest_backup, holds_newest_backup, holds_newest_logical_backup)
            FROM safekeep.repository_usage}),
	"$full|t|t",
	'repo1 holds the newest physical backup and, apart, the newest logical one');
is( q1(
		q{SELECT details->>'repositories_with_latest_backup' FROM safekeep.check_backup_health()}),
	'1', '3-2-1 counts the repository holding the newest physical backup, not the logical one');

my $inc = q1('SELECT safekeep.create_incremental_backup()');
wait_jobs_idle($node);
like($inc, qr/^\Q$full\E_\d{8}-\d{6}I$/, "an incremental of $full ($inc)");
is( q1(
		q{SELECT concat_ws('|', newest_backup, holds_newest_backup, holds_newest_logical_backup)
            FROM safekeep.repository_usage}),
	"$inc|t|t", 'the incremental is the newest physical backup repo1 holds');

# A completed row whose label sorts first but whose own stamp is newest, and a
# newer logical row, neither in the repository: the repository lacks both.
is( q1(
		q{BEGIN;
INSERT INTO safekeep.backup_catalog (label, backup_type, status)
VALUES ('20000101-000000F_29991231-000000I', 'incremental', 'completed'),
       ('29991231-000000L', 'logical', 'completed');
SELECT concat_ws('|', newest_backup, holds_newest_backup, holds_newest_logical_backup)
  FROM safekeep.repository_usage;
ROLLBACK;}),
	"$inc|f|f",
	'the newest physical backup is chosen by its own stamp, the newest logical one apart');

# --- compression_ratio = sum held / sum stored -------------------------------------------
my ($ratio, $want, $mean) = split /\|/, q1(
	q{SELECT (SELECT details->>'compression_ratio' FROM safekeep.check_backup_health()),
             round(sum(database_size) / sum(backup_size), 2),
             round(avg(compression_ratio), 2)
        FROM safekeep.backup_catalog WHERE status = 'completed'});
is($ratio, $want, "compression_ratio is total held / total stored over the completed backups ($want)");
isnt($want, $mean, "not the mean of their ratios ($mean)");
is( q1(
		q{BEGIN;
UPDATE safekeep.backup_catalog SET status = 'expired' WHERE status = 'completed';
INSERT INTO safekeep.backup_catalog (label, backup_type, status, database_size, backup_size,
                                     compression_ratio)
VALUES ('20000101-000000F', 'full', 'completed', 1000, 100, 10),
       ('20000101-000000F_20000101-000001I', 'incremental', 'completed', 1000, 900, 1.11),
       ('20000101-000000F_20000101-000002I', 'incremental', 'failed', 5000, 1, 5000);
SELECT details->>'compression_ratio' FROM safekeep.check_backup_health();
UPDATE safekeep.backup_catalog SET backup_size = 0 WHERE status = 'completed';
SELECT coalesce(details->>'compression_ratio', '<null>') FROM safekeep.check_backup_health();
ROLLBACK;}),
	"2.00\n<null>",
	'2000 bytes held in 1000 stored is 2.00 (a failed backup does not count); nothing stored is NULL');

$node->stop;
done_testing();
