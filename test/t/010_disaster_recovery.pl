# Disaster recovery from the catalog: the runbooks exist for every scenario
# and name real commands; automated_disaster_recovery() brings up a copy from
# the trusted backup plus all archived WAL, holding what was committed before
# the newest archived segment, and records RTO/RPO against the objectives;
# `pg_safekeep restore --start` prints the same figures with the server down.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

my ($node, $repo) = safekeep_node('dr', conf => "safekeep.drill_interval = 0\n");
$node->command_ok([ 'pgbench', '-i', '-s', 2, '-q', 'postgres' ], 'pgbench -i -s 2');

# --- runbooks ---------------------------------------------------------------------
is( $node->safe_psql(
		'postgres', q{
SELECT count(*), count(*) FILTER (WHERE array_to_string(procedure_steps, ' ') ~ '(safekeep\.|pg_safekeep )'),
       bool_and(rto_minutes > 0 AND cardinality(required_resources) > 0)
  FROM safekeep.disaster_recovery_procedures}),
	'6|6|t',
	'a runbook for each of the six scenarios, each naming pg_safekeep commands');

my $label = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
wait_jobs_idle($node);
is($node->safe_psql('postgres', qq{SELECT verify_status FROM safekeep.backup_catalog WHERE label = '$label'}),
	'ok', 'the backup was verified after it was taken');

# Written after the backup: only WAL brings it back.
$node->safe_psql('postgres', q{
CREATE TABLE marker (id integer, note text);
INSERT INTO marker SELECT i, 'after backup' FROM generate_series(1, 100) i;
UPDATE pgbench_accounts SET abalance = abalance + 3 WHERE aid <= 1000;});
my $expected = data_fingerprint($node) . '/' . $node->safe_psql('postgres', 'SELECT count(*) FROM marker');

# --- refusals -------------------------------------------------------------------------
my $copy = PostgreSQL::Test::Cluster->new('dr_copy');
my $dir = $copy->data_dir;
my $port = $copy->port;
my ($rc, $out, $err) = $node->psql('postgres',
	qq{SELECT safekeep.automated_disaster_recovery('$dir', NULL)});
isnt($rc, 0, 'no port: refused');
like($err, qr/port must be given/, 'the error says so');
($rc, $out, $err) = $node->psql('postgres',
	qq{SELECT safekeep.automated_disaster_recovery('relative/dir', $port)});
isnt($rc, 0, 'a relative directory: refused');
($rc, $out, $err) = $node->psql('postgres',
	qq{SELECT safekeep.automated_disaster_recovery('$dir', $port, 'alien_invasion')});
isnt($rc, 0, 'an unknown scenario: refused');
like($err, qr/invalid input value for enum safekeep.disaster_scenario: "alien_invasion"/,
	'naming the scenario');
is($node->safe_psql('postgres', 'SELECT count(*) FROM safekeep.disaster_recovery_log'),
	'0', 'refusals log nothing');

# --- automated disaster recovery ------------------------------------------------------
($rc, $out, $err) = $node->psql('postgres',
	qq{SELECT safekeep.automated_disaster_recovery('$dir', $port, 'hardware_failure')});
is($rc, 0, 'automated_disaster_recovery succeeds') or diag($err);
like($out, qr/running on port $port; RTO [\d.]+ s, RPO [\d.]+ s: objectives met/,
	'it reports RTO and RPO against the objectives');
$copy->_update_pid(1);
is(data_fingerprint($copy) . '/' . $copy->safe_psql('postgres', 'SELECT count(*) FROM marker'),
	$expected, 'the copy holds everything committed before the newest archived WAL');
is( $node->safe_psql(
		'postgres', qq{
SELECT scenario, backup_label, status, rto_seconds > 0, rpo_seconds >= 0,
       last_replayed_xact_at IS NOT NULL, newest_wal IS NOT NULL, objectives_met
  FROM safekeep.disaster_recovery_log ORDER BY id DESC LIMIT 1}),
	"hardware_failure|$label|completed|t|t|t|t|t",
	'disaster_recovery_log records the scenario, backup, RTO, RPO and the verdict');
note('disaster recovery: '
	  . $node->safe_psql('postgres',
		q{SELECT 'RTO ' || rto_seconds || ' s, RPO ' || rpo_seconds || ' s' FROM safekeep.disaster_recovery_log ORDER BY id DESC LIMIT 1}));
$copy->stop;

# --- the tool, with the server down ---------------------------------------------------
my $final = $node->safe_psql('postgres', q{INSERT INTO marker VALUES (1000, 'last') RETURNING id});
switch_and_wait($node);
my $stanza = $node->safe_psql('postgres', 'SELECT system_identifier FROM pg_control_system()');
$node->stop;

my $tool_copy = PostgreSQL::Test::Cluster->new('dr_tool');
my $tool_port = $tool_copy->port;
($rc, $out, $err) = run_tool('restore', "--repo1-path=$repo", "--stanza=$stanza",
	'--pgdata=' . $tool_copy->data_dir, '--start', "--port=$tool_port");
is($rc, 0, 'pg_safekeep restore --start succeeds') or diag($err);
like($out, qr/^RTO: [\d.]+ s \(restore [\d.]+ s, WAL replay and promotion [\d.]+ s\)$/m,
	'the tool prints the RTO');
like($out, qr/^RPO: last replayed transaction at .*newest archived WAL [0-9A-F]{24}/m,
	'and the RPO');
$tool_copy->_update_pid(1);
is($tool_copy->safe_psql('postgres', q{SELECT note FROM marker WHERE id = 1000}),
	'last', 'the copy the tool started holds the last archived commit');
$tool_copy->stop;

done_testing();
