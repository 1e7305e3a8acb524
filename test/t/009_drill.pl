# Restore drills: a drill of a good backup taken under load passes (every
# database connects, pg_amcheck is clean, the row counts the backup job took
# match exactly) and records its measured RTO; a drill of a backup with a
# flipped byte fails and names the file; with safekeep.drill_row_counts off
# no counts are taken and the drill says it did not compare them; the
# launcher runs drills on its own.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

my ($node, $repo) = safekeep_node('drills', conf => "safekeep.drill_interval = 0\n");
$node->command_ok([ 'pgbench', '-i', '-s', 2, '-q', 'postgres' ], 'pgbench -i -s 2');
$node->safe_psql('postgres', 'CREATE DATABASE second; CREATE DATABASE "third db"');
$node->safe_psql('second', 'CREATE TABLE t AS SELECT generate_series(1, 1000) AS x');

my ($load_out, $load_err) = ('', '');
my $load = IPC::Run::start(
	[ 'pgbench', '-n', '-c', 2, '-j', 2, '-T', 10, '-h', $node->host, '-p', $node->port, 'postgres' ],
	'>', \$load_out, '2>', \$load_err);
my $label = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
like($label, qr/^\d{8}-\d{6}F$/, "backup $label taken under pgbench load");
wait_jobs_idle($node);

is( $node->safe_psql(
		'postgres', qq{
SELECT count(*), min(restore_point) FROM safekeep.backup_table_counts
 WHERE label = '$label' AND table_name LIKE 'pgbench%'}),
	"4|safekeep_$label",
	'the backup job counted the pgbench tables at its restore point');

# --- a good backup passes -----------------------------------------------------
my ($rc, $out, $err) = $node->psql('postgres', q{SELECT safekeep.test_backup_recovery()});
is($rc, 0, 'the drill of the newest backup succeeds') or diag($err);
like($out, qr/drill of backup \Q$label\E passed: RTO [\d.]+ s/, 'it reports the measured RTO');
ok($load->finish, 'pgbench load succeeded') or diag($load_err);

is( $node->safe_psql(
		'postgres', qq{
SELECT test_result, rto_seconds > 0, (checks->>'databases_connected')::int >= 4,
       checks->>'amcheck_exit_code', (checks->>'tables_counted')::int >= 4,
       jsonb_array_length(checks->'row_count_mismatches')
  FROM safekeep.backup_test_log WHERE backup_label = '$label' ORDER BY id DESC LIMIT 1}),
	't|t|t|0|t|0',
	'backup_test_log: passed, RTO measured, all databases connected, amcheck clean, counts match');
is( $node->safe_psql('postgres',
		qq{SELECT last_drill_result, last_drill_rto > 0 FROM safekeep.backup_catalog WHERE label = '$label'}),
	't|t', 'backup_catalog holds the last drill result');
note('drill RTO: '
	  . $node->safe_psql('postgres',
		q{SELECT rto_seconds || ' s (restore ' || restore_seconds || ' s, recovery ' || recovery_seconds || ' s)' FROM safekeep.backup_test_log ORDER BY id DESC LIMIT 1}));
is(scalar(my @left = glob($node->data_dir . '/../pg_safekeep_scratch/*')),
	0, 'the scratch copy was removed');
is( $node->safe_psql('postgres',
		q{SELECT status FROM safekeep.recovery_log WHERE recovery_type = 'drill' ORDER BY id DESC LIMIT 1}),
	'completed', 'recovery_log has the drill');

# --- bad input -----------------------------------------------------------------
($rc, $out, $err) = $node->psql('postgres', q{SELECT safekeep.test_backup_recovery('19990101-000000F')});
isnt($rc, 0, 'a drill of an unknown backup is refused');
like($err, qr/backup "19990101-000000F" does not exist/, 'naming the label');

# --- a backup with a flipped byte fails and names the file ---------------------
$node->safe_psql('postgres', 'UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid < 5000');
my $bad = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
wait_jobs_idle($node);
my ($bad_dir) = backup_dirs($repo, $bad);
my @objects = sort { -s $b <=> -s $a } grep { m{/data/base/\d+/\d+[^/]*$} } files_under("$bad_dir/data");
my ($rel) = $objects[0] =~ m{/data/(base/\d+/\d+)};
flip_bytes($objects[0]);

($rc, $out, $err) = $node->psql('postgres', qq{SELECT safekeep.test_backup_recovery('$bad')});
isnt($rc, 0, 'the drill of the corrupted backup fails');
like($err, qr/\Q$rel\E/, "the error names the damaged file ($rel)");
is( $node->safe_psql(
		'postgres', qq{
SELECT test_result, errors LIKE '%$rel%' FROM safekeep.backup_test_log
 WHERE backup_label = '$bad' ORDER BY id DESC LIMIT 1}),
	'f|t', 'backup_test_log records the failure with the file');
is($node->safe_psql('postgres', qq{SELECT last_drill_result FROM safekeep.backup_catalog WHERE label = '$bad'}),
	'f', 'and backup_catalog its last drill result');
is(scalar(my @left2 = glob($node->data_dir . '/../pg_safekeep_scratch/*')),
	0, 'no scratch copy is left after a failed drill');

# --- safekeep.drill_row_counts = off: nothing counted, and drills say so ---------
$node->append_conf('postgresql.conf', "safekeep.drill_row_counts = off\n");
$node->reload;
$node->poll_query_until('postgres', "SELECT current_setting('safekeep.drill_row_counts') = 'off'")
  or die 'drill_row_counts = off not reloaded';
my $uncounted = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
wait_jobs_idle($node);
is( $node->safe_psql(
		'postgres', qq{
SELECT (SELECT count(*) FROM safekeep.backup_table_counts WHERE label = '$uncounted'),
       row_counts_skipped FROM safekeep.backup_catalog WHERE label = '$uncounted'}),
	'0|safekeep.drill_row_counts was off when the backup was taken',
	'with drill_row_counts off the backup job records no counts, and says why');
($rc, $out, $err) = $node->psql('postgres', qq{SELECT safekeep.test_backup_recovery('$uncounted')});
is($rc, 0, 'the drill of a backup without counts passes its other checks') or diag($err);
like($out, qr/passed: .*row counts not compared \(safekeep\.drill_row_counts was off/,
	'the drill says row counts were not compared, and why');
unlike($out, qr/row count\(s\) match/, 'it does not claim counts matched');
is( $node->safe_psql(
		'postgres', qq{
SELECT checks->>'row_counts_compared', checks->>'row_counts_not_compared' LIKE '%drill_row_counts%',
       jsonb_typeof(checks->'tables_counted'), jsonb_typeof(checks->'row_count_mismatches')
  FROM safekeep.backup_test_log WHERE backup_label = '$uncounted' ORDER BY id DESC LIMIT 1}),
	'false|t|null|null',
	'backup_test_log: counts not compared, no table count or mismatch list reported');
$node->append_conf('postgresql.conf', "safekeep.drill_row_counts = on\n");
$node->reload;

# --- the launcher runs drills on a schedule --------------------------------------
my $last_job = $node->safe_psql('postgres', 'SELECT max(id) FROM safekeep.jobs');
$node->append_conf('postgresql.conf', "safekeep.drill_interval = '1min'\n");
$node->reload;
ok( $node->poll_query_until(
		'postgres', qq{
SELECT count(*) > 0 FROM safekeep.jobs
 WHERE kind = 'drill' AND id > $last_job AND status IN ('succeeded', 'failed')}),
	'a scheduled drill ran');
is( $node->safe_psql('postgres',
		qq{SELECT count(*) > 0 FROM safekeep.backup_test_log WHERE job_id > $last_job}),
	't', 'and logged its result');

$node->stop;
done_testing();
