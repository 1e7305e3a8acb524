# An ERROR inside one step of the launcher's loop (pg_cron's way: logged,
# cleared, the transaction aborted, the loop's memory context restored) ends
# neither the launcher nor the other steps: with the function the drill step
# calls renamed away, that step fails every ten seconds while the same
# launcher process keeps dispatching jobs (a full backup completes); once the
# function is back, the step works again and schedules its drill.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

# drill_interval is left at its default (a week): the drill step asks
# safekeep._drill_due() every ten seconds.
my ($node, $repo) = safekeep_node('launcher_errors');

sub q1
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', $sql);
}

my $launcher_sql =
  q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_safekeep launcher'};
my $launcher = q1($launcher_sql);
like($launcher, qr/^\d+$/, "one launcher ($launcher)");

# --- the drill step fails, again and again ---------------------------------
my $offset = -s $node->logfile;
q1('ALTER FUNCTION safekeep._drill_due(integer) RENAME TO _drill_due_gone');
my $missing = qr/function safekeep\._drill_due\(integer\) does not exist/;
$node->wait_for_log($missing, $offset);
my $first = -s $node->logfile;
$node->wait_for_log($missing, $first);
pass('the failing step was run again after its ERROR: the loop went on');
is(q1($launcher_sql), $launcher, 'the same launcher process is running');

# --- meanwhile the other steps work: a backup is dispatched and completes --
my $label = q1('SELECT safekeep.create_full_backup()');
like($label, qr/^\d{8}-\d{6}F$/, "a backup was queued and ran ($label)");
is(job_status_of($node, $label), 'succeeded', 'the backup job succeeded while the step failed');
is(q1("SELECT status FROM safekeep.backup_catalog WHERE label = '$label'"),
	'completed', 'and its catalog row says so');
is(q1(q{SELECT count(*) FROM safekeep.jobs WHERE kind = 'drill'}),
	'0', 'no drill could be scheduled while the step failed');
is(q1($launcher_sql), $launcher, 'still the same launcher process');
my $log = slurp_file($node->logfile, $offset);
unlike($log, qr/terminated by signal|exited with exit code [^0]/,
	'no process of the server died');

# --- the function is back: the step schedules its drill --------------------
# The first drill is due one interval (a week) after the first backup.
q1(q{UPDATE safekeep.backup_catalog SET completed_at = completed_at - interval '8 days'});
$offset = -s $node->logfile;
q1('ALTER FUNCTION safekeep._drill_due_gone(integer) RENAME TO _drill_due');
$node->wait_for_log(qr/scheduled restore drill of backup \Q$label\E/, $offset);
pass('the drill step works again and schedules a drill of the backup');
ok( $node->poll_query_until(
		'postgres',
		q{SELECT count(*) = 1 AND bool_and(status NOT IN ('queued', 'running'))
		    FROM safekeep.jobs WHERE kind = 'drill'}),
	'the drill job finished');
is(q1(q{SELECT status || coalesce(': ' || error_message, '') FROM safekeep.jobs WHERE kind = 'drill'}),
	'succeeded', 'the drill succeeded');
is(q1($launcher_sql), $launcher, 'the launcher that survived the errors dispatched it');
unlike(slurp_file($node->logfile, $offset), $missing, 'the step no longer fails');

$node->stop;
done_testing();
