# Monitoring: safekeep.backup_progress shows a running backup (phase, files
# and bytes, rate, time left); the pre-backup checks warn about long
# transactions, failing WAL archiving and low repository space and stop a
# backup the repository has no room for; monitor_backup_performance() gives
# every metric with its threshold and status; every query of the Grafana
# dashboard runs as a pg_monitor member and returns rows of the shape its
# panel expects; the audit trail records who changed what.
use strict;
use warnings;

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

# One copy thread and a slower zstd level: the copy of a pgbench scale 20
# cluster lasts long enough to be watched.
my ($node, $repo) = safekeep_node(
	'dashboard', conf => qq{
safekeep.drill_interval = 0
safekeep.verify_after_backup = off
safekeep.parallel = 1
safekeep.compress_level = 9
});

sub q1
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', $sql);
}

# As the Grafana role (a pg_monitor member) or the DBA (safekeep_admin).
sub as_role
{
	my ($role, $sql) = @_;
	return $node->safe_psql('postgres', $sql, extra_params => [ '-U', $role ]);
}

sub set_conf { return set_safekeep_conf($node, @_); }

$node->command_ok([ 'pgbench', '-i', '-s', 20, '-q', 'postgres' ], 'pgbench -i -s 20');
q1('CREATE ROLE grafana LOGIN IN ROLE pg_monitor');
q1('CREATE ROLE dba LOGIN IN ROLE safekeep_admin');
my $me = q1('SELECT session_user');

# --- progress of a running backup ---------------------------------------------
# One session queues the backup and, as grafana, samples the view every 10 ms
# until the job has left it (the view reads shared memory, not a snapshot).
my $samples = q1(
	q{
SELECT safekeep.create_full_backup(wait => false) AS job \gset
SET sk_test.job = :'job';
SET ROLE grafana;
CREATE TEMP TABLE seen AS SELECT * FROM safekeep.backup_progress WHERE false;
DO $$
DECLARE
    v_job bigint := current_setting('sk_test.job')::bigint;
    v_seen boolean := false;
BEGIN
    FOR i IN 1..12000 LOOP
        INSERT INTO seen SELECT * FROM safekeep.backup_progress WHERE job_id = v_job;
        IF FOUND THEN
            v_seen := true;
        ELSIF v_seen THEN
            EXIT;
        END IF;
        PERFORM pg_sleep(0.01);
    END LOOP;
END;
$$;
SELECT count(*),
       bool_and(kind = 'full' AND started_at IS NOT NULL)
         AND bool_or(requested_by = session_user),
       bool_or(phase = 'copying' AND files_total > 0 AND bytes_total > 0 AND bytes_done > 0
               AND bytes_done <= bytes_total AND percent_done BETWEEN 0 AND 100),
       bool_or(phase = 'copying' AND bytes_per_second > 0 AND seconds_left >= 0
               AND estimated_end >= started_at),
       bool_and(phase IN ('queued', 'running', 'checking', 'starting', 'copying', 'stopping',
                          'archiving', 'writing manifest')),
       string_agg(DISTINCT phase, ',')
  FROM seen;
});
my ($nseen, $shape, $copying, $rate, $phases_ok, $phases) = split /\|/, $samples;
note("backup_progress: $nseen samples, phases $phases");
ok($nseen > 0, 'backup_progress showed the running backup to the pg_monitor role');
is($shape, 't', 'its rows name the job kind, who asked and when it started');
is($copying, 't', 'while copying it counts files and bytes done out of the total');
is($rate, 't', 'and gives the copy rate and the time left');
is($phases_ok, 't', "every phase is a known one ($phases)");
$node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM safekeep.jobs WHERE kind = 'full_backup' AND status = 'succeeded'})
  or die 'the watched backup did not finish';
wait_jobs_idle($node);
is(as_role('grafana', 'SELECT count(*) FROM safekeep.backup_progress'),
	'0', 'no rows once no job runs');

# --- pre-backup checks ------------------------------------------------------------
# A transaction held open longer than the threshold: a warning, and the backup runs.
set_conf('threshold_long_transaction', '2');
my $holder = $node->background_psql('postgres');
$holder->query_safe('BEGIN');
$holder->query_safe('SELECT txid_current()');
my $holder_pid = $holder->query_safe('SELECT pg_backend_pid()');
sleep 3;
my ($rc, $out, $err) = $node->psql('postgres', 'SELECT safekeep.create_full_backup()');
is($rc, 0, 'a backup with a long transaction open succeeds') or diag($err);
like($err, qr/NOTICE:.*transaction\(s\) open longer than 2 s.*pid $holder_pid/,
	'the caller is told about the long transaction');
my $long_label = $out;
wait_jobs_idle($node);
is( q1(
		qq{SELECT count(*) FROM safekeep.backup_log WHERE label = '$long_label' AND event = 'warning'
             AND message LIKE '%open longer than 2 s%pid $holder_pid %idle in transaction%'}),
	'1',
	'backup_log holds the warning naming the transaction');
$holder->query_safe('COMMIT');
$holder->quit;
set_conf('threshold_long_transaction', undef);

# Free space: the checks compare with the stored size of the last full
# backup, which the test inflates in the catalog.
sub inflate_last_full
{
	my ($bytes) = @_;
	return split /\|/, q1(
		qq{
WITH f AS (SELECT label, backup_size FROM safekeep.backup_catalog
            WHERE backup_type = 'full' AND status = 'completed'
            ORDER BY completed_at DESC LIMIT 1)
UPDATE safekeep.backup_catalog c SET backup_size = $bytes FROM f
 WHERE c.label = f.label RETURNING f.label, f.backup_size});
}
my $free = as_role('grafana', 'SELECT free_bytes FROM safekeep.repository_usage');
ok($free > 0, "repository_usage shows the repository's free space ($free bytes)");

my @orig = inflate_last_full(int($free * 0.6));
($rc, $out, $err) = $node->psql('postgres', 'SELECT safekeep.create_full_backup()');
is($rc, 0, 'a backup with less than twice the last full backup free succeeds') or diag($err);
like($err, qr/NOTICE:.*repository 1 free space is low/, 'the caller is told space is low');
my $low_label = $out;
wait_jobs_idle($node);
is( q1(
		qq{SELECT count(*) FROM safekeep.backup_log WHERE label = '$low_label' AND event = 'warning'
             AND message LIKE 'repository 1 free space is low: % free in "$repo", less than twice%$orig[0]%'}),
	'1', 'backup_log holds the low-space warning');
q1("UPDATE safekeep.backup_catalog SET backup_size = $orig[1] WHERE label = '$orig[0]'");

@orig = inflate_last_full($free * 10);
($rc, $out, $err) = $node->psql('postgres', 'SELECT safekeep.create_full_backup()');
isnt($rc, 0, 'a backup the repository has no room for is refused');
like($err, qr/not enough free space in repository 1 for a backup: .* free in "\Q$repo\E", the last full backup \($orig[0]\) stored/,
	'with a clear error');
wait_jobs_idle($node);
my $nospace_label = q1(
	q{SELECT label FROM safekeep.backup_catalog WHERE status = 'failed'
       AND error_message LIKE 'not enough free space%' ORDER BY id DESC LIMIT 1});
ok($nospace_label ne '', "the refused backup is failed in backup_catalog ($nospace_label)");
is(scalar(backup_dirs($repo, $nospace_label)), 0, 'and left nothing in the repository');
q1("UPDATE safekeep.backup_catalog SET backup_size = $orig[1] WHERE label = '$orig[0]'");

# Failing archiving: a warning; this backup then cannot archive its own WAL.
my @archive_dirs = grep { -d $_ } glob("$repo/*/archive"), glob("$repo/*/archive/*");
chmod 0555, @archive_dirs;
q1('CREATE TABLE wal_filler AS SELECT generate_series(1, 1000) AS x');
q1('SELECT pg_switch_wal()');
$node->poll_query_until('postgres',
	q{SELECT last_failed_time > coalesce(last_archived_time, '-infinity') FROM pg_stat_archiver})
  or die 'archiving never failed';
set_conf('archive_timeout', '3');
($rc, $out, $err) = $node->psql('postgres', 'SELECT safekeep.create_full_backup()');
isnt($rc, 0, 'a backup while archiving fails cannot complete');
wait_jobs_idle($node);
is( q1(
		q{SELECT count(*) FROM safekeep.backup_log l JOIN safekeep.backup_catalog c USING (label)
           WHERE c.status = 'failed' AND l.event = 'warning'
             AND l.message LIKE 'WAL archiving is failing: % failed at %'}),
	'1',
	'the pre-backup check recorded that archiving was failing');
chmod 0750, @archive_dirs;
set_conf('archive_timeout', undef);
switch_and_wait($node);

# --- monitor_backup_performance() ----------------------------------------------------
my %metric;
for (split /\n/,
	as_role('grafana', 'SELECT * FROM safekeep.monitor_backup_performance()'))
{
	my ($name, $value, $threshold, $status) = split /\|/;
	$metric{$name} = { value => $value, threshold => $threshold, status => $status };
}
is( join(',', sort keys %metric),
	'archive_files_waiting,archive_lag_seconds,backup_success_rate_30d_percent,'
	  . 'full_backup_duration_seconds,last_drill_rto_seconds,rpo_exposure_seconds,'
	  . 'stored_bytes_growth_7d_percent',
	'monitor_backup_performance() reports every metric to pg_monitor');
ok(!grep({ $_->{status} !~ /^(ok|warning|critical|unknown)$/ } values %metric),
	'every status is ok, warning, critical or unknown');
my $full = $metric{full_backup_duration_seconds};
ok($full->{value} > 0 && $full->{threshold} == 3600 && $full->{status} eq 'ok',
	"full backup duration $full->{value} s, threshold 3600 s: ok");
my $rate_metric = $metric{backup_success_rate_30d_percent};
is("$rate_metric->{value}|$rate_metric->{threshold}|$rate_metric->{status}",
	'60.0|95|critical', 'success rate: 3 of 5 backups succeeded, critical below 90%');
is( "$metric{archive_lag_seconds}{status}|$metric{archive_files_waiting}{status}|"
	  . "$metric{rpo_exposure_seconds}{status}",
	'ok|ok|ok', 'archive lag, files waiting and RPO exposure are ok once archiving recovered');
ok($metric{rpo_exposure_seconds}{value} < 300, 'RPO exposure is under its threshold');
is( "$metric{stored_bytes_growth_7d_percent}{status}|$metric{last_drill_rto_seconds}{status}",
	'unknown|unknown', 'no growth without backups a week ago, no drill RTO without drills');

sub metric
{
	my ($name) = @_;
	return as_role('grafana',
		"SELECT concat_ws('|', coalesce(metric_value::text, ''), threshold, status) "
		  . "FROM safekeep.monitor_backup_performance() WHERE metric_name = '$name'");
}
q1(q{INSERT INTO safekeep.backup_catalog (label, backup_type, status, backup_size, created_at, completed_at)
     VALUES ('20000101-000000F', 'full', 'expired', 1000000, now() - interval '10 days',
             now() - interval '10 days')});
my $growth = q1(
	q{SELECT round(100.0 * (sum(backup_size) - 1000000) / 1000000, 1) FROM safekeep.backup_catalog
       WHERE status IN ('completed', 'expired') AND completed_at > now() - interval '7 days'});
is(metric('stored_bytes_growth_7d_percent'), "$growth|50|critical",
	"stored bytes growth against the week before ($growth%)");
q1(q{DELETE FROM safekeep.backup_catalog WHERE label = '20000101-000000F'});
q1(q{INSERT INTO safekeep.backup_test_log (test_result, rto_seconds) VALUES (true, 42.5)});
is(metric('last_drill_rto_seconds'), '42.5|1800|ok', 'the last drill RTO against its threshold');
q1(q{INSERT INTO safekeep.backup_test_log (test_result, rto_seconds) VALUES (false, NULL)});
is(metric('last_drill_rto_seconds'), '|1800|critical', 'a failed last drill is critical');
set_conf('threshold_full_backup_duration', '1');
like(metric('full_backup_duration_seconds'), qr/^[\d.]+\|1\|(warning|critical)$/,
	'thresholds follow the safekeep.threshold_* settings');
set_conf('threshold_full_backup_duration', undef);

# --- the Grafana dashboard ----------------------------------------------------------
my $json_path = ($ENV{TESTDIR} // '.') . '/grafana/pg_safekeep_dashboard.json';
my $dash = decode_json(slurp_file($json_path));

# Grafana's macros, over the last day.
sub expand_macros
{
	my ($sql) = @_;
	$sql =~ s/\$__timeFilter\(\s*([\w.]+)\s*\)/$1 > now() - interval '1 day'/g;
	$sql =~ s/\$__timeFrom\(\)/(now() - interval '1 day')/g;
	$sql =~ s/\$__timeTo\(\)/now()/g;
	$sql =~
	  s/\$__timeGroupAlias\(\s*([\w.]+)\s*,\s*'?(\d+)m'?\s*\)/floor(extract(epoch from $1)\/($2*60))*($2*60) AS "time"/g;
	$sql =~
	  s/\$__timeGroup\(\s*([\w.]+)\s*,\s*'?(\d+)m'?\s*\)/floor(extract(epoch from $1)\/($2*60))*($2*60)/g;
	return $sql;
}

# What each panel's first query returns (column names, in order).
my %columns = (
	'Backup success rate (24h)' => 'success_rate_percent,backups',
	'Archive lag' => 'archive_lag_seconds,files_waiting',
	'RPO exposure' => 'rpo_exposure_seconds,archive_failing',
	'Last drill' => 'drilled_at,backup_label,result,rto_seconds,days_ago',
	'3-2-1 status' =>
	  'repositories_with_newest_backup,storage_kinds,object_storage,rule_3_2_1',
	'Backup size trend' => 'time,metric,value',
	'Backup duration' => 'time,metric,value',
	'Archive throughput' => 'time,WAL archived,bytes stored',
	'Backup success per day' => 'time,succeeded,failed',
	'Performance metrics' => 'metric_name,metric_value,threshold,status',
	'Backup in progress' =>
	  'job_id,kind,phase,label,percent_done,bytes_done,bytes_total,bytes_per_second,seconds_left,estimated_end',
	'Repository usage' =>
	  'repository,storage_kind,encrypted,backups,backup_bytes,wal_files,wal_bytes,free_bytes,filesystem_bytes,holds_newest_backup,error',
	'Recent backups' =>
	  'label,backup_type,status,completed_at,duration_seconds,backup_size,database_size,compression_ratio,warnings,error_message',
	'Audit trail' => 'happened_at,who,what,details');
my $numeric = qr/^(numeric|bigint|integer|smallint|double precision|real)$/;
my $timeish = qr/^(timestamp with time zone|timestamp without time zone|numeric|bigint|double precision)$/;

my @panels = map { $_->{type} eq 'row' ? @{ $_->{panels} // [] } : $_ } @{ $dash->{panels} };
is(scalar(@panels), scalar(keys %columns), 'the dashboard has the expected panels');
my %first_rows;
for my $panel (@panels)
{
	my $title = $panel->{title};
	ok(exists $columns{$title}, "panel \"$title\" is known to the test");
	is($panel->{datasource}{type}, 'postgres', "\"$title\" reads the PostgreSQL data source");
	for my $target (@{ $panel->{targets} })
	{
		my $what = "\"$title\" query $target->{refId}";
		my $sql = expand_macros($target->{rawSql});
		unlike($sql, qr/\$/, "$what uses only the macros the test knows");
		my ($qrc, $qout, $qerr) = $node->psql(
			'postgres', qq{
CREATE TEMP VIEW panel_query AS $sql;
SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod), ';' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = 'panel_query'::regclass AND attnum > 0;
SELECT count(*) FROM panel_query;
SELECT row_to_json(q)::text FROM panel_query q LIMIT 1;
},
			extra_params => [ '-U', 'grafana' ]);
		is($qrc, 0, "$what runs as a pg_monitor member") or diag("$qerr\n$sql");
		next if $qrc != 0;
		my ($cols, $count, $first) = split /\n/, $qout, 3;
		my @cols = map { [ split /:/, $_, 2 ] } split /;/, $cols;
		my %type = map { $_->[0] => $_->[1] } @cols;
		ok($count > 0, "$what returns rows ($count)");
		$first_rows{$title} //= decode_json($first) if $count > 0;
		is(join(',', map { $_->[0] } @cols), $columns{$title}, "$what returns the columns the panel shows")
		  if $target->{refId} eq 'A';

		if ($panel->{type} eq 'timeseries')
		{
			is($target->{format}, 'time_series', "$what is formatted as a time series");
			like($type{time} // 'none', $timeish, "$what has a time column");
			my @bad = grep { $_->[0] ne 'time' && $_->[0] ne 'metric' && $_->[1] !~ $numeric } @cols;
			is(scalar(@bad), 0, "$what: every value column is numeric")
			  or diag(join ',', map { "$_->[0]:$_->[1]" } @bad);
			is($type{metric} // 'text', 'text', "$what: the series name is text");
		}
		elsif ($panel->{type} eq 'stat')
		{
			my $field = $panel->{options}{reduceOptions}{fields};
			my ($shown) = $field =~ m{^/\^(\w+)\$/$};
			like($type{ $shown // '' } // 'none', $numeric, "$what: the value shown ($shown) is numeric");
		}
	}
}
my $r321 = $first_rows{'3-2-1 status'};
is( join(',',
		$r321->{repositories_with_newest_backup}, $r321->{storage_kinds},
		$r321->{object_storage} ? 'true' : 'false', $r321->{rule_3_2_1}),
	'1,1,false,not met',
	'3-2-1: one repository holds the newest backup, one kind of storage, no object storage');
is($first_rows{'Backup in progress'}{phase}, 'idle', 'the progress panel says idle when nothing runs');
is($first_rows{'Last drill'}{result}, 'failed', 'the last drill panel shows the newest drill');

# --- audit trail -------------------------------------------------------------------
is( q1(
		qq{SELECT count(*) FILTER (WHERE what = 'create_full_backup' AND who = '$me'
                                        AND details ? 'wait'),
                  count(*) FILTER (WHERE what = 'create_full_backup' AND details->>'wait' = 'false')
             FROM safekeep.audit_log}),
	'3|1',
	'every create_full_backup call that returned is audited (a call that failed rolls back its row)');
q1('SELECT * FROM safekeep.expire_backups()');
is(q1(q{SELECT count(*) FROM safekeep.audit_log WHERE what = 'expire_backups'}),
	'0', 'a dry run of expire_backups is not audited');
q1('SELECT * FROM safekeep.expire_backups(dry_run => false)');
is( q1(
		q{SELECT jsonb_typeof(details->'expired') || ',' || (details->'wal' ? 'removed_count')
            FROM safekeep.audit_log WHERE what = 'expire_backups'}),
	'array,true', 'expire_backups(dry_run => false) is audited with what it removed');
as_role('dba', q{SELECT safekeep.create_restore_point('before_release')});
as_role('dba',
	q{UPDATE safekeep.disaster_recovery_procedures SET rto_minutes = 45 WHERE scenario = 'hardware_failure'});
is( q1(
		q{SELECT string_agg(who || ' ' || what || ' ' || coalesce(details->>'name', details->'changed'->>'rto_minutes'), '; ' ORDER BY id)
            FROM safekeep.audit_log WHERE who = 'dba'}),
	'dba create_restore_point before_release; dba disaster_recovery_procedures.update {"new": 45, "old": 30}',
	'a safekeep_admin member\'s restore point and runbook edit are audited with who and what changed');
($rc, $out, $err) = $node->psql('postgres', q{DELETE FROM safekeep.audit_log},
	extra_params => [ '-U', 'dba' ]);
like($err, qr/permission denied for table audit_log/, 'safekeep_admin cannot delete audit rows');
($rc, $out, $err) = $node->psql('postgres', q{SELECT safekeep._audit('forged', '{}')},
	extra_params => [ '-U', 'grafana' ]);
like($err, qr/permission denied for function _audit/, 'pg_monitor cannot write audit rows');
is(as_role('grafana', q{SELECT count(*) > 0 FROM safekeep.audit_log}),
	't', 'pg_monitor reads the audit trail');

$node->stop;
done_testing();
