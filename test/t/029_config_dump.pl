# pg_dump keeps what users configure (pg_extension_config_dump): a schedule
# someone added, a seeded schedule someone paused, a runbook someone edited
# and one someone replaced survive pg_dump / pg_restore into a fresh database
# (the restore creates the extension, whose untouched seeds give way to the
# dumped rows), with the runbooks' id sequence; the same through the
# extension's own logical backup and restore. History tables are not carried.
# (The dump creates schema safekeep itself, so the fresh database must not
# have the extension yet.)
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

my ($node, $repo) = safekeep_node('config_dump');

sub q1
{
	my ($db, $sql) = @_;
	return $node->safe_psql($db, $sql);
}

q1('postgres', q{SELECT safekeep.add_schedule('nightly_logical', '30 4 * * *', 'logical')});
q1('postgres', q{SELECT safekeep.pause_schedule('full_daily')});
q1('postgres', q{UPDATE safekeep.disaster_recovery_procedures SET rto_minutes = 45
                  WHERE scenario = 'hardware_failure'});
q1('postgres', q{DELETE FROM safekeep.disaster_recovery_procedures WHERE scenario = 'cyber_attack'});
q1('postgres', q{INSERT INTO safekeep.disaster_recovery_procedures
                      (scenario, priority, rto_minutes, rpo_minutes, procedure_steps, required_resources)
                  VALUES ('cyber_attack', 1, 240, 60, ARRAY['isolate', 'call security'], ARRAY['a phone'])});

my $schedules = q{SELECT string_agg(concat_ws(' ', name, cron, job_kind, enabled), E'\n' ORDER BY name)
                    FROM safekeep.schedules};
my $runbooks = q{SELECT string_agg(concat_ws(' ', id, scenario, rto_minutes, procedure_steps), E'\n'
                                   ORDER BY scenario)
                   FROM safekeep.disaster_recovery_procedures};
my $sequence = q{SELECT nextval('safekeep.disaster_recovery_procedures_id_seq')};
my $want_schedules = q1('postgres', $schedules);
my $want_runbooks = q1('postgres', $runbooks);
like($want_schedules, qr/^nightly_logical 30 4 \* \* \* logical t$/m, 'the added schedule');
like($want_schedules, qr/^full_daily .* full f$/m, 'the paused seed');
like($want_runbooks, qr/^7 cyber_attack 240 /m, 'the replaced runbook has a new id');

# Which tables pg_dump carries (and which not: history is the extension's).
is( q1('postgres', q{SELECT string_agg(c::regclass::text, ' ' ORDER BY c::regclass::text)
                       FROM pg_extension e, unnest(e.extconfig) c WHERE e.extname = 'pg_safekeep'}),
	'safekeep.disaster_recovery_procedures safekeep.disaster_recovery_procedures_id_seq safekeep.schedules',
	'the configuration tables and the runbooks\' sequence are marked');

# --- pg_dump / pg_restore into a fresh database ----------------------------
my $dump = $node->basedir . '/postgres.dump';
$node->command_ok([ 'pg_dump', '--format=custom', '--file', $dump, 'postgres' ], 'pg_dump');
q1('postgres', 'CREATE DATABASE fresh');
$node->command_ok([ 'pg_restore', '--exit-on-error', '--dbname', 'fresh', $dump ],
	'pg_restore into it succeeds');
is(q1('fresh', $schedules), $want_schedules, 'the schedules, added and paused, came back');
is(q1('fresh', $runbooks), $want_runbooks, 'the runbooks, edited and replaced, came back');
is(q1('fresh', $sequence), '8', 'and the runbooks\' id sequence with them');
is(q1('fresh', 'SELECT count(*) FROM safekeep.jobs'), '0', 'the job history stays behind');

# A seed that was used refuses a duplicate as before.
my ($rc, $out, $err) = $node->psql('postgres',
	q{INSERT INTO safekeep.schedules (name, cron, job_kind) VALUES ('full_daily', '0 2 * * *', 'full')});
like($err, qr/duplicate key value/, 'a changed seed is not replaced by an INSERT');

# --- the extension's own logical backup, restored whole ---------------------
my $label = q1('postgres', 'SELECT safekeep.create_logical_backup()');
q1('postgres', 'CREATE DATABASE fresh2');
q1('postgres', qq{SELECT safekeep.restore_logical_backup('$label', 'fresh2')});
is(q1('fresh2', $schedules), $want_schedules, 'a logical backup keeps the schedules');
is(q1('fresh2', $runbooks), $want_runbooks, 'and the runbooks');

done_testing();
