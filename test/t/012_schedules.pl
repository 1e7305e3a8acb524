# Schedules: the seeds' plan is installed (next runs in UTC); a per-minute
# schedule fires and its full backup completes; a second backup schedule due
# at the same moment is recorded as skipped because that backup is running; a
# full_verify schedule takes a full backup and then verifies it; bad cron
# expressions, unknown job kinds and unknown schedule names are refused with
# clear errors and only safekeep_admin may change schedules; pg_cron runs a
# job function with wait => false, which returns at once; a run missed while
# the server was down runs once at start-up, not once per missed slot.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

# safekeep_node() sets shared_preload_libraries to pg_safekeep and the
# scheduler off; these later lines override both.
my ($node, $repo) = safekeep_node(
	'schedules', conf => q{
shared_preload_libraries = 'pg_safekeep,pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
safekeep.scheduler = on
safekeep.drill_interval = 0
});

sub q1
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', $sql);
}

sub refused { return psql_refused($node, @_) }

is(q1('SHOW shared_preload_libraries'), 'pg_safekeep,pg_cron', 'both libraries are preloaded');

# --- the seeds' plan --------------------------------------------------------
is( q1(
		q{SELECT string_agg(format('%s|%s|%s|%s', name, cron, kind, enabled), ',' ORDER BY name)
		    FROM safekeep.schedule_status}),
	'drill_monthly|0 3 1 * *|drill|t,full_daily|0 2 * * *|full|t,'
	  . 'full_verify_weekly|0 1 * * 0|full_verify|t,incremental_every_4h|0 */4 * * *|incremental|t',
	'the seeds\' plan is installed');
is( q1(
		q{SELECT bool_and(next_run_at > now()), bool_and(last_run_at IS NULL)
		    FROM safekeep.schedule_status}),
	't|t', 'every seeded schedule has a next run and has not run');
is( q1(
		q{SELECT to_char(next_run_at AT TIME ZONE 'UTC', 'HH24:MI'),
		         extract(dow FROM next_run_at AT TIME ZONE 'UTC')
		    FROM safekeep.schedules WHERE name = 'full_verify_weekly'}),
	'01:00|0', 'cron is evaluated in UTC: the weekly full runs Sunday 01:00 UTC');
q1('SELECT safekeep.pause_schedule(name) FROM safekeep.schedules');
is(q1('SELECT count(*) FROM safekeep.schedule_status WHERE enabled OR next_run_at IS NOT NULL'),
	0, 'pausing clears the next run');

# --- (a) + (d): two backup schedules due at the same minute -----------------
# One transaction: both get the same next_run_at, so the launcher fires them
# in the same check, by name: the full first, the incremental finds it running.
q1(
	q{BEGIN;
	  SELECT safekeep.add_schedule('minute_full', '* * * * *', 'full');
	  SELECT safekeep.add_schedule('minute_incremental', '* * * * *', 'incremental');
	  COMMIT});
is( q1(
		q{SELECT count(DISTINCT next_run_at), min(next_run_at) > now(),
		         min(next_run_at) <= now() + interval '1 minute',
		         min(next_run_at) = date_trunc('minute', min(next_run_at))
		    FROM safekeep.schedules WHERE name LIKE 'minute_%'}),
	'1|t|t|t', 'added: next run at the coming whole minute');

# --- (c) bad input, while the minute comes ---------------------------------
my $count_before = q1('SELECT count(*) FROM safekeep.schedules');
like(
	refused(q{SELECT safekeep.add_schedule('bad', '61 * * * *', 'full')}, 'minute 61'),
	qr/invalid cron expression "61 \* \* \* \*": minute field "61": 61 is out of range 0-59/,
	'names the minute field');
like(
	refused(q{SELECT safekeep.add_schedule('bad', '0 2 * *', 'full')}, 'four fields'),
	qr/expected 5 fields \(minute hour day-of-month month day-of-week\), found 4/,
	'says how many fields a cron expression has');
like(
	refused(q{SELECT safekeep.add_schedule('bad', '0 2 * * mon-sat/x', 'full')}, 'bad step'),
	qr/day-of-week field "mon-sat\/x": step "x"/,
	'names the day-of-week field and the step');
like(
	refused(q{SELECT safekeep.add_schedule('bad', '0 2 * foo *', 'full')}, 'bad month name'),
	qr/month field "foo": "foo" is neither a number nor a name \(jan-dec\)/,
	'names the month field');
like(
	refused(q{SELECT safekeep.add_schedule('bad', '0 0 30 2 *', 'full')}, 'February 30'),
	qr/invalid cron expression "0 0 30 2 \*": it matches no date/,
	'an expression that never fires is refused');
like(
	refused(q{SELECT safekeep.add_schedule('bad', '0 2 * * *', 'fulll')}, 'unknown kind'),
	qr/unknown job kind "fulll".*\n.*HINT:  Use full, differential, incremental, full_verify, verify, drill, expire, logical or logical_schema/,
	'names the kind and lists the valid ones');
like(
	refused(q{SELECT safekeep.add_schedule('full_daily', '0 2 * * *', 'full')}, 'duplicate name'),
	qr/schedule "full_daily" already exists/,
	'an existing name is refused');
like(
	refused(q{SELECT safekeep.add_schedule('bad', '0 2 * * *', 'full', repository => 2)},
		'repository 2'),
	qr/repository 2 does not exist/,
	'an unknown repository is refused');
for my $f ('alter_schedule(\'nope\', cron => \'* * * * *\')',
	'pause_schedule(\'nope\')', 'resume_schedule(\'nope\')', 'remove_schedule(\'nope\')')
{
	like(refused("SELECT safekeep.$f", "unknown name in $f"),
		qr/schedule "nope" does not exist/, "$f names the unknown schedule");
}
like(
	refused(q{SELECT safekeep.alter_schedule('full_daily', cron => '0 25 * * *')}, 'hour 25'),
	qr/hour field "25": 25 is out of range 0-23/,
	'alter_schedule checks the expression');
like(
	refused(q{SELECT safekeep.alter_schedule('full_daily', job_kind => 'backup')}, 'bad kind'),
	qr/unknown job kind "backup"/,
	'alter_schedule checks the kind');
like(
	refused(q{SELECT safekeep.alter_schedule('full_daily')}, 'nothing to change'),
	qr/nothing to change for schedule "full_daily"/,
	'alter_schedule with nothing to change');
like(
	refused(q{INSERT INTO safekeep.schedules (name, cron, job_kind) VALUES ('x', '* * * * 9', 'full')},
		'direct insert'),
	qr/day-of-week field "9": 9 is out of range 0-7/,
	'the table itself refuses a bad expression');
is(q1('SELECT count(*) FROM safekeep.schedules'), $count_before, 'nothing was added');
is(q1(q{SELECT cron || ' ' || job_kind FROM safekeep.schedules WHERE name = 'full_daily'}),
	'0 2 * * * full', 'nothing was changed');

# Names, macros and the weekday rule.
is( q1(
		q{SELECT to_char(safekeep._cron_next('30 6 * jan,JUL MON-fri', '2024-05-04 00:00+00')
		                 AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
		         to_char(safekeep._cron_next('0 0 13 * fri', '2024-09-01 00:00+00')
		                 AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
		         to_char(safekeep._cron_next('@monthly', '2024-06-05 10:30+02')
		                 AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')}),
	'2024-07-01 06:30|2024-09-06|2024-07-01 00:00',
	'names, the day-of-month or day-of-week rule and macros');

# Privileges: only superusers and safekeep_admin change schedules.
q1(q{CREATE ROLE plain LOGIN; CREATE ROLE ops LOGIN IN ROLE safekeep_admin;
     CREATE ROLE grafana LOGIN IN ROLE pg_monitor});
my ($rc, $out, $err) = $node->psql('postgres',
	q{SELECT safekeep.add_schedule('p', '@daily', 'full')}, extra_params => [ '-U', 'plain' ]);
like($err, qr/permission denied for function add_schedule/, 'a plain role may not add schedules');
($rc, $out, $err) = $node->psql('postgres',
	q{SELECT safekeep.add_schedule('ops_weekly', '@weekly', 'verify', enabled => false) IS NULL;
	  SELECT safekeep.resume_schedule('ops_weekly') > now();
	  SELECT safekeep.alter_schedule('ops_weekly', cron => '0 4 * * sun') > now();
	  SELECT 'removed' FROM safekeep.remove_schedule('ops_weekly')},
	extra_params => [ '-U', 'ops' ]);
is($rc, 0, 'safekeep_admin adds, resumes, alters and removes schedules') or diag($err);
is($out, "t\nt\nt\nremoved", 'added paused (no next run), then next runs after now');
is( q1(q{SELECT string_agg(what || ' by ' || who, ', ' ORDER BY id) FROM safekeep.audit_log
          WHERE what LIKE 'schedule.%' AND details->>'name' = 'ops_weekly'}),
	'schedule.add by ops, schedule.change by ops, schedule.change by ops, schedule.remove by ops',
	'the audit trail has each schedule change, with who made it');
($rc, $out, $err) = $node->psql('postgres', q{SELECT count(*) FROM safekeep.schedule_status},
	extra_params => [ '-U', 'grafana' ]);
is($out, '6', 'pg_monitor reads schedule_status');

# --- (a) + (d) results ----------------------------------------------------------
$node->poll_query_until('postgres',
	q{SELECT count(*) = 2 FROM safekeep.schedule_log WHERE schedule_name LIKE 'minute_%'})
  or die 'the per-minute schedules did not fire';
q1(q{SELECT safekeep.pause_schedule('minute_full'), safekeep.pause_schedule('minute_incremental')});

is( q1(
		q{SELECT outcome, job_id IS NOT NULL, due_at = date_trunc('minute', due_at),
		         fired_at - due_at < interval '15 seconds'
		    FROM safekeep.schedule_log WHERE schedule_name = 'minute_full'}),
	'queued|t|t|t', 'the per-minute full schedule fired within the check interval and queued a job');
my $job = q1(q{SELECT last_job_id FROM safekeep.schedules WHERE name = 'minute_full'});
like($job, qr/^\d+$/, "the schedule row names its job ($job)");
is( q1(
		q{SELECT string_agg(who || ' ' || what || ' ' || (details->>'schedule') || ' '
		                    || (details->>'job_kind') || ' ' || (details->>'job_id'), '; ')
		    FROM safekeep.audit_log WHERE details->>'schedule' LIKE 'minute_%'}),
	"pg_safekeep scheduler schedule.run minute_full full $job",
	'the audit trail has the scheduled backup, by the scheduler, and not the skipped one');
is( q1(
		q{SELECT outcome, job_id IS NULL, message FROM safekeep.schedule_log
		   WHERE schedule_name = 'minute_incremental'}),
	'skipped|t|another backup of this cluster is running',
	'the incremental due at the same moment was skipped: a backup was running');
is( q1(
		q{SELECT last_result, last_message, last_run_at IS NOT NULL FROM safekeep.schedule_status
		   WHERE name = 'minute_incremental'}),
	'skipped|another backup of this cluster is running|t',
	'schedule_status shows the skip and its reason');
like(
	slurp_file($node->logfile),
	qr/schedule "minute_incremental" \(incremental\) skipped: another backup of this cluster is running/,
	'the server log says so too');

$node->poll_query_until('postgres',
	qq{SELECT status NOT IN ('queued', 'running') FROM safekeep.jobs WHERE id = $job})
  or die "job $job did not finish";
my $label = q1(
	qq{SELECT label FROM safekeep.backup_catalog WHERE job_id = $job AND status = 'completed'
	     AND backup_type = 'full'});
like($label, qr/^\d{8}-\d{6}F$/, "the scheduled full backup $label completed");
$node->poll_query_until('postgres',
	qq{SELECT last_result = 'succeeded' AND last_message = '$label'
	     FROM safekeep.schedule_status WHERE name = 'minute_full'})
  or diag(q1(q{SELECT * FROM safekeep.schedule_status WHERE name = 'minute_full'}));
is( q1(
		q{SELECT last_result, last_job_id IS NOT NULL, last_run_at IS NOT NULL
		    FROM safekeep.schedule_status WHERE name = 'minute_full'}),
	'succeeded|t|t', 'schedule_status: last run, its job and result');
is(q1(qq{SELECT requested_by IS NOT NULL FROM safekeep.jobs WHERE id = $job}),
	't', 'the job row exists');
wait_jobs_idle($node);

# --- full_verify: a full backup, then its verification ---------------------------
q1(q{SELECT safekeep.alter_schedule('minute_incremental', job_kind => 'full_verify', enabled => true)});
$node->poll_query_until('postgres',
	q{SELECT last_run_at > (SELECT max(fired_at) FROM safekeep.schedule_log
	                         WHERE schedule_name = 'minute_incremental' AND outcome = 'skipped')
	    FROM safekeep.schedules WHERE name = 'minute_incremental'})
  or die 'the full_verify schedule did not fire';
q1(q{SELECT safekeep.pause_schedule('minute_incremental')});
$node->poll_query_until('postgres',
	q{SELECT last_result IN ('succeeded', 'failed', 'skipped') FROM safekeep.schedules
	   WHERE name = 'minute_incremental'})
  or die 'the full_verify run did not finish';
my ($fv_result, $fv_message, $fv_job, $fv_verify) = split /\|/, q1(
	q{SELECT last_result, last_message, last_job_id, verify_job_id FROM safekeep.schedules
	   WHERE name = 'minute_incremental'});
is($fv_result, 'succeeded', 'full_verify succeeded') or diag($fv_message);
like($fv_message, qr/^backup \d{8}-\d{6}F; verification: 0 problem\(s\) found$/,
	'its message names the backup and the verification');
is( q1(
		qq{SELECT j.kind, j.status, v.kind, v.status FROM safekeep.jobs j, safekeep.jobs v
		    WHERE j.id = $fv_job AND v.id = $fv_verify}),
	'full_backup|succeeded|verify|succeeded', 'a full backup job, then a verify job');
is( q1(
		qq{SELECT outcome, job_kind FROM safekeep.schedule_log WHERE job_id = $fv_verify}),
	'queued|verify', 'schedule_log records the verification');
wait_jobs_idle($node);

# --- (b) pg_cron: the job function returns at once with wait => false ----------
q1('CREATE EXTENSION pg_cron');
my $cron_job = q1(
	q{SELECT cron.schedule('safekeep_incremental', '* * * * *',
	                       $$SELECT safekeep.create_incremental_backup(wait => false)$$)});
$node->poll_query_until('postgres',
	qq{SELECT count(*) > 0 FROM cron.job_run_details
	    WHERE jobid = $cron_job AND status IN ('succeeded', 'failed')})
  or die 'pg_cron did not run the job';
q1(q{SELECT cron.unschedule('safekeep_incremental')});
my ($cron_status, $cron_quick, $cron_msg) = split /\|/, q1(
	qq{SELECT status, end_time - start_time < interval '5 seconds', return_message
	     FROM cron.job_run_details WHERE jobid = $cron_job ORDER BY runid LIMIT 1});
is($cron_status, 'succeeded', 'the pg_cron run succeeded') or diag($cron_msg);
is($cron_quick, 't', 'and returned within seconds (no transaction held open for the backup)');
# The worker inserts the job's row when it starts.
my $cron_jobs_sql = qq{FROM safekeep.jobs j, cron.job_run_details d
	    WHERE d.jobid = $cron_job AND j.kind = 'incremental_backup'
	      AND j.started_at >= d.start_time - interval '1 second'};
$node->poll_query_until('postgres', "SELECT count(*) > 0 $cron_jobs_sql")
  or die 'no backup job appeared';
my $cron_backup = q1("SELECT min(j.id) $cron_jobs_sql");
like($cron_backup, qr/^\d+$/, "a backup job appeared ($cron_backup)");
$node->poll_query_until('postgres',
	qq{SELECT status NOT IN ('queued', 'running') FROM safekeep.jobs WHERE id = $cron_backup})
  or die "job $cron_backup did not finish";
is( q1(
		qq{SELECT j.status, c.backup_type, c.status FROM safekeep.jobs j
		     JOIN safekeep.backup_catalog c ON c.job_id = j.id WHERE j.id = $cron_backup}),
	'succeeded|incremental|completed', 'the backup pg_cron asked for succeeded');
wait_jobs_idle($node);

# verify_backup takes wait => false too: one row naming the job.
my $queued = q1(q{SELECT problem || ' ' || detail FROM safekeep.verify_backup(wait => false)});
like($queued, qr/^queued job (\d+)$/, 'verify_backup(wait => false) returns at once with the job');
my ($verify_job) = $queued =~ /(\d+)$/;
$node->poll_query_until('postgres',
	qq{SELECT status = 'succeeded' FROM safekeep.jobs WHERE id = $verify_job})
  or die "verify job $verify_job did not succeed";
pass('and the verification job it queued succeeds');
wait_jobs_idle($node);

# --- a run missed while the server was down runs once at start-up ---------------
q1(q{SELECT safekeep.add_schedule('hourly_expire', '0 * * * *', 'expire')});
q1(q{ALTER SYSTEM SET safekeep.scheduler = off; SELECT pg_reload_conf()});
sleep(3);    # the launcher reloads within a second
# Three hourly slots came and went "while the server was down".
my $missed = q1(
	q{UPDATE safekeep.schedules SET next_run_at = date_trunc('hour', now()) - interval '3 hours'
	   WHERE name = 'hourly_expire' RETURNING next_run_at});
q1(q{ALTER SYSTEM RESET safekeep.scheduler});
$node->restart;
my $restarted = q1('SELECT pg_postmaster_start_time()');
$node->poll_query_until('postgres',
	q{SELECT count(*) > 0 FROM safekeep.schedule_log WHERE schedule_name = 'hourly_expire'})
  or die 'the missed run did not run at start-up';
sleep(12);    # one more check of the scheduler
# A slot that really comes during the test may add a row of its own.
is( q1(
		qq{SELECT count(*) FILTER (WHERE due_at = '$missed'),
		          count(*) FILTER (WHERE due_at <> '$missed' AND due_at < '$restarted'),
		          bool_and(fired_at >= '$restarted')
		     FROM safekeep.schedule_log WHERE schedule_name = 'hourly_expire'}),
	'1|0|t', 'three missed slots ran once, at start-up');
like(
	q1(
		qq{SELECT outcome || ': ' || message FROM safekeep.schedule_log
		    WHERE schedule_name = 'hourly_expire' AND due_at = '$missed'}),
	qr/^succeeded: \d+ backup\(s\) expired, \d+ WAL file\(s\) removed$/,
	'the expire schedule ran retention (in a helper worker)');
is( q1(
		q{SELECT next_run_at > now(), next_run_at <= now() + interval '1 hour',
		         last_result FROM safekeep.schedule_status WHERE name = 'hourly_expire'}),
	't|t|succeeded', 'the next run is the coming slot');

$node->stop;
done_testing();
