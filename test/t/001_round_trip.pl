# The whole round trip: a full backup under pgbench load, more writes, then a
# point-in-time restore to a time T between them, with the tool and from SQL;
# each restored copy must hold exactly the data as it was at T.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;
use Time::HiRes qw(sleep);

my ($node, $repo) = safekeep_node('primary');

$node->command_ok([ 'pgbench', '-i', '-s', 5, '-q', 'postgres' ], 'pgbench -i -s 5');

# Load while the backup runs: the backup must be consistent all the same.
my ($load_out, $load_err) = ('', '');
my $load = IPC::Run::start(
	[
		'pgbench', '-n', '-c', 2, '-j', 2, '-T', 8,
		'-h', $node->host, '-p', $node->port, 'postgres'
	],
	'>', \$load_out, '2>', \$load_err);

my $label = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
like($label, qr/^\d{8}-\d{6}F$/, "create_full_backup returns a full label ($label)");

ok($load->finish, 'pgbench load during the backup succeeded') or diag($load_err);
like($load_out, qr/number of transactions actually processed: [1-9]/,
	'the load committed transactions');

is( $node->safe_psql(
		'postgres', qq{
SELECT status, backup_type, backup_size > 0, database_size > 0, stop_lsn IS NOT NULL
FROM safekeep.backup_catalog WHERE label = '$label'}),
	'completed|full|t|t|t',
	'backup_catalog row is completed with sizes');
is(job_status_of($node, $label), 'succeeded', 'the backup job succeeded');
is(scalar(backup_dirs($repo, $label)), 1, 'the backup is in the repository');
ok(-f (backup_dirs($repo, $label))[0] . '/manifest.json', 'with its manifest');

# T: everything committed so far must be in the restored copies, nothing after.
my $T = $node->safe_psql('postgres', 'SELECT now()');
my $at_T = data_fingerprint($node);
note("T = $T, data at T = $at_T");
sleep 1.1;

$node->safe_psql(
	'postgres', q{
UPDATE pgbench_accounts SET abalance = abalance + 7;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, 1, 42, now());
CREATE TABLE written_after_t AS SELECT 1 AS x;});
isnt(data_fingerprint($node), $at_T, 'the data changed after T');
switch_and_wait($node);

# --- restore with the tool -----------------------------------------------
my $tool_copy = PostgreSQL::Test::Cluster->new('restored_tool');
my ($rc, $out, $err) = run_tool(
	'restore', "--repo1-path=$repo",
	'--pgdata=' . $tool_copy->data_dir,
	"--target-time=$T");
is($rc, 0, 'pg_safekeep restore --target-time succeeds') or diag($err);
like($out, qr/\Q$label\E/, 'the restore reports the backup it used');
ok(-f $tool_copy->data_dir . '/recovery.signal', 'restore wrote recovery.signal');

wait_promoted($tool_copy);
is(data_fingerprint($tool_copy), $at_T, 'tool restore: data equals the data at T');
is( $tool_copy->safe_psql('postgres',
		"SELECT to_regclass('written_after_t') IS NULL"),
	't', 'tool restore: a table created after T does not exist');
$tool_copy->stop;

# --- restore from SQL -------------------------------------------------------
# The copy gets a node object of its own so that the test stops it at the end.
my $sql_copy = PostgreSQL::Test::Cluster->new('restored_sql');
my $sql_dir = $sql_copy->data_dir;
my $port = $sql_copy->port;
my $result = $node->safe_psql(
	'postgres', qq{
SELECT safekeep.point_in_time_recovery(target_time => '$T', target_dir => '$sql_dir', port => $port)});
note("point_in_time_recovery: $result");
$sql_copy->_update_pid(1);

# The copy inherits the primary's socket directory, which is this node's too.
is($sql_copy->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	'f', 'SQL restore: the copy promoted and accepts connections');
is(data_fingerprint($sql_copy), $at_T, 'SQL restore: data equals the data at T');
is( $sql_copy->safe_psql('postgres', "SELECT to_regclass('written_after_t') IS NULL"),
	't', 'SQL restore: a table created after T does not exist');
is( $sql_copy->safe_psql(
		'postgres', qq{
SELECT current_setting('archive_mode') = 'off'
    OR current_setting('safekeep.repo1_path', true) IS DISTINCT FROM '$repo'}),
	't', 'SQL restore: the copy does not archive into the repository');
$sql_copy->stop;

is( $node->safe_psql(
		'postgres', q{
SELECT recovery_type, status, completed_at IS NOT NULL, duration IS NOT NULL
FROM safekeep.recovery_log ORDER BY started_at DESC LIMIT 1}),
	'point_in_time|completed|t|t',
	'recovery_log has a completed point_in_time row');

# --- health and the repository listing ---------------------------------------
is( $node->safe_psql(
		'postgres',
		q{SELECT health_status, details->>'total_backups', details->>'latest_backup' IS NOT NULL
		  FROM safekeep.check_backup_health()}),
	'healthy|1|t',
	'check_backup_health is healthy with one backup');

my $info = tool_info($repo);
my @listed = grep { $_->{label} eq $label } @{ $info->{backups} };
is(scalar @listed, 1, 'pg_safekeep info --output=json lists the backup');
ok($info->{archive}{count} > 0, 'and a non-empty WAL archive');
($rc, $out, $err) = run_tool('info', "--repo1-path=$repo");
is($rc, 0, 'pg_safekeep info (text) succeeds');
like($out, qr/\Q$label\E\s+full/, 'text listing shows the backup');

$node->stop;
done_testing();
