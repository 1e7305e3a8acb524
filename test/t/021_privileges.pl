# Privileges and secrets (issue 14, parts 3, 4 and 7).
#
# Every function in schema safekeep is in the matrix below (a new function
# without an entry fails the test).  Each is called as a plain login role
# (PUBLIC), a pg_monitor member, a safekeep_admin member and a superuser:
# where the README's privilege table allows it, with real arguments, and the
# call must succeed (or, for the costly ones, fail with the clear error of
# its own checks, never 42501); where it does not, the call must fail with
# SQLSTATE 42501 and change nothing (row counts of every catalog table, the
# job id sequence, the repository's backups).  SECURITY DEFINER hygiene:
# every function but the two that resolve the caller's table names pins
# search_path = pg_catalog, pg_temp, and nobody else may create objects in
# schema safekeep.
#
# Secrets: the webhook URL lives in a file; safekeep.notify_webhook_url
# refuses any value without echoing it (not in the error, not in the server
# log); no setting a pg_monitor member can read, no notification error, no
# command line shows the webhook token or the SMTP password.
#
# Audit (part 7): logical backups and restores and verifications leave
# audit rows naming who called them; a call ending in an error leaves none.
use strict;
use warnings;

use NotifyTest qw(webhook_url_file wait_for);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

# Ports nobody listens on: deliveries fail at once, and their errors are
# what the secret checks read.
my $dead_http = PostgreSQL::Test::Cluster::get_free_port();
my $dead_smtp = PostgreSQL::Test::Cluster::get_free_port();
my $hook_file = webhook_url_file("http://127.0.0.1:$dead_http/services/T0/HOOKTOKEN7");
my $pw_file = secret_file(PostgreSQL::Test::Utils::tempdir('smtp'), 'mailpass', "MAILPASS7\n");

# log_statement = none, as in a production cluster: with "all" PostgreSQL
# logs every statement's text before running it, whatever it holds.
my ($node, $repo) = safekeep_node(
	'priv', conf => qq{
log_statement = none
safekeep.verify_after_backup = off
safekeep.expire_after_backup = off
safekeep.drill_interval = 0
safekeep.notify_on_success = on
safekeep.notify_webhook_url_file = '$hook_file'
safekeep.smtp_server = '127.0.0.1'
safekeep.smtp_port = $dead_smtp
safekeep.smtp_user = 'safekeep'
safekeep.smtp_password_file = '$pw_file'
safekeep.smtp_from = 'pg_safekeep\@db.example'
safekeep.smtp_to = 'dba\@example.org'
});
my $su = $node->safe_psql('postgres', 'SELECT current_user');

sub q1 { return $node->safe_psql('postgres', $_[0]) }

q1(q{CREATE ROLE plain LOGIN;
     CREATE ROLE grafana LOGIN IN ROLE pg_monitor;
     CREATE ROLE dba LOGIN IN ROLE safekeep_admin;
     CREATE TABLE public.t1 (id integer PRIMARY KEY, v text);
     INSERT INTO public.t1 SELECT g, 'row ' || g FROM generate_series(1, 100) g;
     CREATE DATABASE target_dba; CREATE DATABASE target_su});

my @roles = ('plain', 'grafana', 'dba', $su);
my %rank = (plain => 0, grafana => 1, dba => 2, $su => 3);
my %level = (public => 0, monitor => 1, admin => 2, none => 3);

# Runs $sql as $role; returns (sqlstate or '' on success, stdout, stderr).
sub call_as
{
	my ($role, $sql) = @_;
	my @u = $role eq $su ? () : ('-U', $role);
	my ($rc, $out, $err) =
	  $node->psql('postgres', "\\set VERBOSITY verbose\n$sql", extra_params => \@u);
	return ('', $out, $err) if $rc == 0;
	my ($state) = $err =~ /ERROR:\s+([0-9A-Z]{5}):/;
	return ($state // "rc$rc", $out, $err);
}

sub newest_label
{
	return q1(q{SELECT label FROM safekeep.backup_catalog WHERE status = 'completed'
                 AND backup_type <> 'logical' ORDER BY label DESC LIMIT 1});
}

# ---- the matrix -----------------------------------------------------------
# to: who may call it (public < monitor < admin < superuser; none: only
# superusers).  call: the call for an allowed role (a sub gets the role);
# fails: the allowed call is expected to stop at this clear error of the
# function's own checks (costly work avoided); for a role listed in
# cheap_for only.  Functions with "to => none" are called by superusers
# with NULL arguments in a transaction that is rolled back (except the
# _queue_* ones, reached through their entry points, and trigger functions).
my $port_in_use = $node->port;
# A restore target of this test's own that is never created.
my $never_dir = $node->basedir . '/priv_never';
my $busy_dir = $node->data_dir;
my $copy = PostgreSQL::Test::Cluster->new('priv_copy');
my @entry = (
	[ 'check_backup_health()', public => q{SELECT count(*) FROM safekeep.check_backup_health()} ],
	[ 'repository_info(boolean,integer)', monitor =>
		  q{SELECT safekeep.repository_info(false, 1) ? 'backups'} ],
	[ 'repositories()', monitor => q{SELECT count(*) = 1 FROM safekeep.repositories()} ],
	[ '_repository_info_or_error(integer)', monitor =>
		  q{SELECT safekeep._repository_info_or_error(1) ? 'backups'} ],
	[ 'repository_space()', monitor => q{SELECT count(*) FROM safekeep.repository_space()} ],
	[ 'monitor_backup_performance()', monitor =>
		  q{SELECT count(*) FROM safekeep.monitor_backup_performance()} ],
	[ '_job_progress()', monitor => q{SELECT count(*) FROM safekeep._job_progress()} ],
	[ 'create_full_backup(boolean)', admin => q{SELECT safekeep.create_full_backup()} ],
	[ 'create_incremental_backup(boolean)', admin => q{SELECT safekeep.create_incremental_backup()} ],
	[ 'create_differential_backup(boolean)', admin =>
		  q{SELECT safekeep.create_differential_backup()} ],
	[ 'sync_catalog()', admin => q{SELECT safekeep.sync_catalog()} ],
	[ 'verify_backup(text,boolean,boolean)', admin =>
		  sub { 'SELECT count(*) FROM safekeep.verify_backup(' . "'" . newest_label() . "')" } ],
	[ 'expire_backups(boolean)', admin =>
		  q{SELECT count(*) FROM safekeep.expire_backups(false)} ],
	[ 'create_restore_point(text)', admin =>
		  sub { "SELECT safekeep.create_restore_point('rp_$_[0]') IS NOT NULL" } ],
	[ 'add_schedule(text,text,text,boolean,integer)', admin =>
		  sub { "SELECT safekeep.add_schedule('s_$_[0]', '\@weekly', 'verify', enabled => false) IS NULL" } ],
	[ 'alter_schedule(text,text,text,boolean)', admin =>
		  sub { "SELECT safekeep.alter_schedule('s_$_[0]', cron => '\@daily') IS NULL" } ],
	[ 'resume_schedule(text)', admin => sub { "SELECT safekeep.resume_schedule('s_$_[0]') > now()" } ],
	[ 'pause_schedule(text)', admin => sub { "SELECT safekeep.pause_schedule('s_$_[0]')" } ],
	[ 'remove_schedule(text)', admin => sub { "SELECT safekeep.remove_schedule('s_$_[0]')" } ],
	[ 'create_logical_backup(boolean,text[],boolean)', admin =>
		  q{SELECT safekeep.create_logical_backup(tables => ARRAY['public.t1'])} ],
	[ 'restore_logical_backup(text,text,text[],boolean)', admin => sub {
			my $l = q1(q{SELECT label FROM safekeep.backup_catalog WHERE backup_type = 'logical'
                          AND status = 'completed' ORDER BY label DESC LIMIT 1});
			my $db = $_[0] eq 'dba' ? 'target_dba' : 'target_su';
			return "SELECT safekeep.restore_logical_backup('$l', '$db')";
		} ],
	[ 'recover_table(text,timestamp with time zone,text,text,boolean,text,boolean)', admin =>
		  sub { "SELECT safekeep.recover_table('public.t1', into_schema => 'restored_$_[0]')" },
		cheap_for => $su, fails => qr/into_schema "safekeep" is reserved/,
		cheap => q{SELECT safekeep.recover_table('public.t1', into_schema => 'safekeep')} ],
	[ 'test_backup_recovery(text,boolean)', admin => sub { "SELECT safekeep.test_backup_recovery('" . newest_label() . "', wait => false)" },
		cheap_for => $su, fails => qr/invalid backup label "no_such"/,
		cheap => q{SELECT safekeep.test_backup_recovery('no_such')} ],
	[ 'recover_full_database(text,text,integer,boolean)', admin => sub {
			'SELECT safekeep.recover_full_database(target_dir => ' . "'" . $copy->data_dir . "', port => " . $copy->port . ')';
		},
		cheap_for => $su, fails => qr/invalid port: .*$port_in_use/,
		cheap => "SELECT safekeep.recover_full_database(target_dir => '$never_dir', port => $port_in_use)" ],
	[ 'point_in_time_recovery(timestamp with time zone,text,text,integer,boolean)', admin => '',
		cheap_for => 'all', fails => qr/invalid target_dir/,
		cheap => "SELECT safekeep.point_in_time_recovery(now() - interval '1 second', target_dir => '$busy_dir')" ],
	[ 'automated_disaster_recovery(text,integer,safekeep.disaster_scenario,boolean)', admin => '',
		cheap_for => 'all', fails => qr/invalid port: .*$port_in_use/,
		cheap => "SELECT safekeep.automated_disaster_recovery('$never_dir', $port_in_use)" ],
	[ 'rotate_encryption_key(integer,text)', admin => '',
		cheap_for => 'all', fails => qr/not encrypted|no cipher|cipher/i,
		cheap => "SELECT safekeep.rotate_encryption_key(1, '$pw_file')" ],
	# Internal, granted to safekeep_admin: recover_table() and
	# create_logical_backup() run with the caller's rights and call them.
	[ '_choose_backup(text,timestamp with time zone)', admin => q{SELECT safekeep._choose_backup(NULL, NULL) IS NOT NULL} ],
	[ '_choose_backup_before_lsn(text,pg_lsn,text)', admin =>
		  q{SELECT safekeep._choose_backup_before_lsn(NULL, pg_current_wal_lsn(), 'now') IS NOT NULL} ],
	[ '_check_repository()', admin => q{SELECT safekeep._check_repository()} ],
	[ '_audit(text,jsonb)', admin => q{SELECT safekeep._audit('priv_test.probe', '{}')} ],
	[ '_first_control(text)', admin => q{SELECT safekeep._first_control('abc') IS NULL} ],
	[ '_shown(text)', admin => q{SELECT safekeep._shown('abc')} ],
	[ '_check_restore_point_name(text)', admin => q{SELECT safekeep._check_restore_point_name('ok')} ],
	[ '_check_backup_label(text,text)', admin => q{SELECT safekeep._check_backup_label(NULL, 'backup_label')} ],
	[ '_check_logical_label(text,text)', admin => q{SELECT safekeep._check_logical_label('20260101-000000L', 'label')} ],
	[ '_check_object_name(text,text)', admin => q{SELECT safekeep._check_object_name('ok', 'into_schema')} ],
	[ '_logical_resolve_tables(text[])', admin => q{SELECT safekeep._logical_resolve_tables(ARRAY['t1'])} ],
	[ '_queue_logical_backup(boolean,boolean,text)', admin =>
		  q{SELECT safekeep._queue_logical_backup(true, true, NULL)} ],
	[ '_queue_table_recovery(boolean,text,text,text,text,boolean,text,text,text,double precision,boolean)',
		admin => '', cheap_for => 'all', fails => qr/needs a backup, a table, a schema and a target/,
		cheap => q{SELECT safekeep._queue_table_recovery(true, '', '', '', '', false, '', '', '', 0, true)} ],
);
# Internal: the launcher's and job workers' bookkeeping, the C functions
# behind the entry points, trigger functions.  Superusers only.
my @internal = split /\n/, <<'END';
_queue_backup(text,boolean)
_queue_restore(boolean,text,text,text,double precision,integer,text)
_queue_verify(text,boolean,boolean)
_expire(boolean)
_check_target_dir(text)
_check_port_free(integer)
job_started(bigint,text,oid)
job_failed(bigint,text)
fail_job(bigint,text)
fail_interrupted_jobs()
job_succeeded(bigint,text)
backup_started(bigint,text,text,text,text)
backup_completed(bigint,jsonb)
record_verification(text,jsonb)
record_verification_everywhere(text,jsonb)
_rechecked(jsonb,text,jsonb)
_not_landed_text(jsonb)
record_expire(jsonb)
record_swept(integer,text,text,text,boolean)
recovery_started(bigint,text,text,timestamp with time zone,text,integer)
recovery_backup_chosen(bigint,text)
recovery_finished(bigint,text,text)
_check_archiving()
_check_recovery_target(text,integer)
_record_table_drop()
_record_table_alter()
table_recovery_started(bigint,text,timestamp with time zone,text,jsonb)
table_recovery_finished(bigint,text,jsonb)
_queue_drill(text,boolean)
_drill_plan(text)
record_drill(bigint,text,jsonb,text)
_drill_due(integer)
_queue_disaster_recovery(boolean,text,text,integer,text)
_choose_trusted_backup()
disaster_recovery_started(bigint,text,text,text,integer)
disaster_recovery_finished(bigint,jsonb)
disaster_recovery_failed(bigint,text)
_audit_runbook_change()
_replace_untouched_seed()
_touch_runbook()
_metric_status(numeric,numeric,numeric,boolean)
_cron_next(text,timestamp with time zone)
_check_schedule_kind(text)
_schedule_row(text)
_schedule_next_due()
_schedule_fired(text,timestamp with time zone,bigint,text,text)
_schedule_verify_due()
_schedule_verify_queued(text,bigint,text)
_verify_outcome(safekeep.jobs)
_schedule_refresh()
_audit_schedule_change()
_notify_channels()
_notify(text,text,text,text,text)
_notify_backup_trigger()
_notify_drill_trigger()
_notify_expire_trigger()
_notify_check(interval)
_notify_due(integer)
_notify_attempted(bigint,text,integer)
_queue_logical_restore(boolean,text,text,text)
logical_backup_completed(bigint,jsonb)
_rotate_encryption_key(integer,text)
END

my %to;
$to{ $_->[0] } = $_->[1] for @entry;
$to{$_} = 'none' for @internal;

# Every function of the schema, with a call that only passes NULLs: enough
# for the privilege check, which comes before anything runs.  The NULLs come
# from subqueries: a STRICT function called with constant NULLs is folded
# away by the planner before any privilege check.
my %probe;
my %rettype;
for my $line (split /\n/, q1(q{
SELECT regexp_replace(p.oid::regprocedure::text, '^safekeep\.', '') || E'\t'
       || format('SELECT %s(%s)', p.oid::regproc,
                 coalesce((SELECT string_agg('(SELECT NULL::' || format_type(t, NULL) || ')', ', ' ORDER BY o)
                             FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(t, o)), ''))
       || E'\t' || format_type(p.prorettype, NULL)
  FROM pg_proc p WHERE p.pronamespace = 'safekeep'::regnamespace ORDER BY 1}))
{
	my ($sig, $sql, $ret) = split /\t/, $line;
	$probe{$sig} = $sql;
	$rettype{$sig} = $ret;
}
my @unlisted = grep { !exists $to{$_} } sort keys %probe;
is(join(', ', @unlisted), '', 'every function of schema safekeep is in the privilege matrix');
my @gone = grep { !exists $probe{$_} } sort keys %to;
is(join(', ', @gone), '', 'every function of the matrix exists');

# ---- granted as documented ------------------------------------------------
my @wrong;
my $values = join(",\n", map { my $sig = $_; map { "('$sig', '$_')" } @roles } sort keys %probe);
for my $line (split /\n/, q1(qq{
SELECT sig || E'\t' || role || E'\t' || has_function_privilege(role, 'safekeep.' || sig, 'EXECUTE')
  FROM (VALUES $values) v(sig, role)}))
{
	my ($sig, $role, $have) = split /\t/, $line;
	next unless exists $to{$sig};
	my $want = $rank{$role} >= $level{ $to{$sig} } ? 'true' : 'false';
	push @wrong, "$sig for $role: $have" if $have ne $want;
}
is(join('; ', @wrong), '', 'EXECUTE privileges are exactly the matrix');

# ---- SECURITY DEFINER hygiene ---------------------------------------------
is( q1(q{SELECT string_agg(p.oid::regprocedure::text, ', ' ORDER BY 1) FROM pg_proc p
          WHERE p.pronamespace = 'safekeep'::regnamespace
            AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
            AND p.oid NOT IN ('safekeep.recover_table(text, timestamptz, text, text, boolean, text, boolean)'::regprocedure,
                              'safekeep.create_logical_backup(boolean, text[], boolean)'::regprocedure,
                              'safekeep._logical_resolve_tables(text[])'::regprocedure)}),
	'', 'every function but the caller\'s-rights ones pins search_path = pg_catalog, pg_temp');
is( q1(q{SELECT string_agg(p.oid::regprocedure::text, ', ') FROM pg_proc p
          WHERE p.pronamespace = 'safekeep'::regnamespace AND p.prosecdef
            AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)}),
	'', 'every SECURITY DEFINER function pins its search_path');
is( q1(q{SELECT string_agg(p.oid::regprocedure::text, ', ') FROM pg_proc p
          WHERE p.pronamespace = 'safekeep'::regnamespace AND p.prosecdef
            AND has_function_privilege('plain', p.oid, 'EXECUTE')}),
	'safekeep.check_backup_health()',
	'the one definer-rights function PUBLIC may call takes no arguments and reads only');
is( q1(q{SELECT string_agg(r.rolname, ', ') FROM pg_roles r
          WHERE has_schema_privilege(r.oid, 'safekeep', 'CREATE') AND NOT r.rolsuper}),
	'', 'nobody but superusers may create objects in schema safekeep');
is( q1(q{SELECT string_agg(c.relname || ':' || r.rolname, ', ') FROM pg_class c, pg_roles r
          WHERE c.relnamespace = 'safekeep'::regnamespace AND c.relkind = 'r' AND NOT r.rolsuper
            AND (has_table_privilege(r.oid, c.oid, 'INSERT') OR has_table_privilege(r.oid, c.oid, 'UPDATE')
                 OR has_table_privilege(r.oid, c.oid, 'DELETE') OR has_table_privilege(r.oid, c.oid, 'TRUNCATE'))
            AND r.rolname IN ('plain', 'grafana', 'dba')}),
	'disaster_recovery_procedures:dba', 'the runbooks are the only table anyone but superusers writes');

# ---- denied calls fail with 42501 and change nothing ------------------------
sub snapshot
{
	return q1(q{
SELECT string_agg(c.relname || '=' || (xpath('/row/n/text()',
           query_to_xml(format('SELECT count(*) AS n FROM safekeep.%I', c.relname), false, true, '')))[1]::text,
       ',' ORDER BY c.relname)
       || ' seq=' || (SELECT last_value FROM safekeep.jobs_id_seq)
  FROM pg_class c WHERE c.relnamespace = 'safekeep'::regnamespace AND c.relkind = 'r'})
	  . ' backups=' . join(',', backup_dirs($repo));
}

# Runs each probe as $role, logged in as it, in one session: every call in a
# subtransaction that is rolled back whatever happened (a call that
# succeeded raises P0099 after it).  Returns { sig => SQLSTATE message }.
sub probe_as
{
	my ($role, @sigs) = @_;
	my $calls = join(",\n", map { "(\$p\$$_\$p\$, \$p\$$probe{$_}\$p\$)" } @sigs);
	my ($state, $out, $err) = call_as($role, qq{
DO \$do\$
DECLARE
    c record;
    st text;
BEGIN
    FOR c IN SELECT * FROM (VALUES $calls) v(sig, sql) LOOP
        BEGIN
            EXECUTE c.sql;
            RAISE EXCEPTION 'succeeded' USING ERRCODE = 'P0099';
        EXCEPTION WHEN OTHERS THEN
            st := SQLSTATE || ' ' || SQLERRM;
        END;
        RAISE NOTICE 'probe|%|%', c.sig, replace(st, E'\n', ' ');
    END LOOP;
END;
\$do\$});
	die "probes as $role did not run: $err" if $state ne '';
	my %r = map { /^[^|]*probe\|([^|]*)\|(.*)$/ ? ($1 => $2) : () } split /\n/, $err;
	return \%r;
}

sub check_denied
{
	my ($when) = @_;
	my $before = snapshot();
	my @bad;
	my $n = 0;
	for my $role (grep { $_ ne $su } @roles)
	{
		my @sigs = grep { exists $to{$_} && $rank{$role} < $level{ $to{$_} } } sort keys %probe;
		my $r = probe_as($role, @sigs);
		for my $sig (@sigs)
		{
			$n++;
			my $got = $r->{$sig} // 'no result';
			push @bad, "$sig as $role: $got" unless $got =~ /^42501 permission denied/;
		}
	}
	is(join("\n", @bad), '', "$when: $n denied calls failed with 42501 permission denied");
	is(snapshot(), $before, "$when: the denied calls changed no catalog row, job id or backup");
	return;
}
check_denied('empty catalog');

# Superusers may call the internal ones (NULL arguments, rolled back); the
# _queue_* ones are reached through their entry points below, trigger
# functions only as triggers (the runbook edit and DDL below fire them).
my @su_bad;
my @su_sigs = grep { $to{$_} eq 'none' && !/^_queue_/ && $rettype{$_} !~ /^(trigger|event_trigger)$/ }
  sort keys %probe;
my $su_r = probe_as($su, @su_sigs);
for my $sig (@su_sigs)
{
	my $got = $su_r->{$sig} // 'no result';
	push @su_bad, "$sig: $got" if $got =~ /^42501/ || $got eq 'no result';
}
is(join("\n", @su_bad), '', 'a superuser may call every internal function');

# ---- allowed calls work ---------------------------------------------------
for my $e (@entry)
{
	my ($sig, $to, $call, %o) = @$e;
	for my $role (grep { $rank{$_} >= $level{$to} } @roles)
	{
		my $cheap = defined $o{cheap_for} && ($o{cheap_for} eq 'all' || $o{cheap_for} eq $role);
		my $sql = $cheap ? $o{cheap} : ref $call ? $call->($role) : $call;
		my ($state, $out, $err) = call_as($role, $sql);
		if ($cheap)
		{
			like($err, $o{fails}, "$sig as $role stops at its own check") or diag($sql);
			isnt($state, '42501', "$sig as $role is not refused for privileges");
		}
		else
		{
			is($state, '', "$sig as $role succeeds") or diag("$sql\n$err");
		}
		wait_jobs_idle($node);
		if ($sig =~ /^recover_full_database/ && !$cheap && $state eq '')
		{
			$copy->_update_pid(1);
			is($copy->safe_psql('postgres', 'SELECT count(*) FROM t1'), '100',
				'recover_full_database as dba: the copy has the data');
			$copy->stop;
		}
	}
}

# The real calls did their work, as the role that asked.
is( q1(q{SELECT string_agg(DISTINCT kind || ':' || status, ',' ORDER BY kind || ':' || status)
          FROM safekeep.jobs WHERE requested_by = 'dba'}),
	'differential_backup:succeeded,drill:succeeded,full_backup:succeeded,incremental_backup:succeeded,'
	  . 'logical:succeeded,logical_restore:succeeded,restore:succeeded,table_recovery:succeeded,verify:succeeded',
	'the jobs safekeep_admin started ran, recorded as requested by dba (not the definer)');
is(q1(q{SELECT count(*) FROM safekeep.backup_catalog WHERE status = 'completed' AND backup_type <> 'logical'}),
	'6', 'six backups: three kinds, by dba and by the superuser');
is(q1(q{SELECT count(*) FROM restored_dba.t1}), '100', 'recover_table as dba brought the table back');
is($node->safe_psql('target_dba', 'SELECT count(*) FROM t1'), '100',
	'restore_logical_backup as dba restored the dump');
is(q1(q{SELECT count(*) FROM safekeep.schedules WHERE name LIKE 's\_%'}), '0',
	'schedules added by each role were removed by it');

check_denied('catalog with backups');

# ---- audit (part 7) ---------------------------------------------------------
is( q1(q{SELECT string_agg(DISTINCT what, ',' ORDER BY what) FROM safekeep.audit_log WHERE who = 'dba'
          AND what IN ('create_logical_backup', 'restore_logical_backup', 'verify_backup')}),
	'create_logical_backup,restore_logical_backup,verify_backup',
	'logical backups, logical restores and verifications are audited with who called them');
is( q1(q{SELECT details->>'target_database' || ',' || (details->>'wait') FROM safekeep.audit_log
          WHERE who = 'dba' AND what = 'restore_logical_backup'}),
	'target_dba,true', 'the logical restore\'s audit row says where it restored');
my ($state) = call_as('dba',
	q{UPDATE safekeep.disaster_recovery_procedures SET rto_minutes = 45 WHERE scenario = 'hardware_failure'});
is($state, '', 'safekeep_admin edits a runbook');
is( q1(q{SELECT details->'changed'->'rto_minutes'->>'new' FROM safekeep.audit_log
          WHERE who = 'dba' AND what = 'disaster_recovery_procedures.update'}),
	'45', 'the runbook edit is audited (its trigger runs with definer rights)');
($state) = call_as('dba', q{SELECT * FROM safekeep.verify_backup('no_such_backup')});
ok($state ne '' && $state ne '42501', 'verify_backup of an unknown backup fails');
($state) = call_as('dba', q{SELECT safekeep.restore_logical_backup('no_such_backup', 'target_dba')});
ok($state ne '' && $state ne '42501', 'restore_logical_backup of an unknown backup fails');
is( q1(q{SELECT count(*) FROM safekeep.audit_log WHERE details::text LIKE '%no_such_backup%'}),
	'0', 'a call that ended in an error left no audit row');

# ---- secrets (part 4) -------------------------------------------------------
my ($rc, $out, $err) = $node->psql('postgres',
	q{ALTER SYSTEM SET safekeep.notify_webhook_url = 'https://x/secret'});
isnt($rc, 0, 'ALTER SYSTEM SET safekeep.notify_webhook_url is refused');
like($err, qr/takes no URL.*\n.*DETAIL:.*\n.*HINT:.*safekeep\.notify_webhook_url_file/,
	'the refusal says why and names notify_webhook_url_file');
unlike($err, qr/secret/, 'the refusal does not echo the value');
unlike(slurp_file($node->data_dir . '/postgresql.auto.conf'), qr/secret/,
	'postgresql.auto.conf did not get it');

# Written straight into postgresql.conf: the reload refuses it too.
my $log_before = -s $node->logfile;
$node->append_conf('postgresql.conf', "safekeep.notify_webhook_url = 'https://x/secret-in-conf'\n");
$node->reload;
ok( wait_for(
		sub { substr(slurp_file($node->logfile), $log_before) =~ /notify_webhook_url takes no URL/ },
		30),
	'a URL in postgresql.conf is refused at reload, in the log');
is(q1('SHOW safekeep.notify_webhook_url'), '', 'the setting stays empty');
my $conf = slurp_file($node->data_dir . '/postgresql.conf');
$conf =~ s/^safekeep\.notify_webhook_url = .*\n//m;
open(my $fh, '>', $node->data_dir . '/postgresql.conf') or die;
print $fh $conf;
close $fh;
$node->reload;

# What a pg_monitor member (pg_read_all_settings) sees.
($state, $out) = call_as('grafana',
	q{SELECT string_agg(name || '=' || setting, E'\n') FROM pg_settings WHERE name LIKE 'safekeep.%'});
is($state, '', 'a pg_monitor member reads the safekeep settings');
like($out, qr/safekeep\.notify_webhook_url_file=\Q$hook_file\E/, 'it sees where the webhook URL file is');
unlike($out, qr/HOOKTOKEN7|MAILPASS7|secret/i, 'no setting shows the webhook token or the SMTP password');
($state, $out) = call_as('grafana', 'SHOW safekeep.notify_webhook_url');
is("$state|$out", '|', 'SHOW safekeep.notify_webhook_url shows nothing to pg_monitor');
($state, $out, $err) = call_as('plain', 'SHOW safekeep.repo1_path');
is($state, '42501', 'safekeep.repo1_path is hidden from a plain role (superuser-only, like the key files)');
($state, $out) = call_as('grafana', 'SHOW safekeep.repo1_path');
is("$state|$out", "|$repo", 'pg_read_all_settings members (pg_monitor) see the repository path');

# Failed deliveries: the errors name the receiver, never the token.
ok( $node->poll_query_until('postgres',
		q{SELECT count(DISTINCT channel) = 2 FROM safekeep.notification_log WHERE attempt > 0 AND error IS NOT NULL}),
	'webhook and email deliveries to the dead receivers were attempted');
like(q1(q{SELECT error FROM safekeep.notification_log WHERE channel = 'webhook' AND error IS NOT NULL LIMIT 1}),
	qr/webhook to 127\.0\.0\.1:$dead_http failed/, 'the webhook error names the host');
is( q1(q{SELECT count(*) FROM safekeep.notification_log
          WHERE error ~* 'HOOKTOKEN7|MAILPASS7|services/T0' OR attempts::text ~* 'HOOKTOKEN7|MAILPASS7|services/T0'}),
	'0', 'no notification error holds the webhook token, its path or the SMTP password');

# No command line of any process shows a secret.
my @leaks;
for my $cmdline (glob '/proc/[0-9]*/cmdline')
{
	open(my $c, '<', $cmdline) or next;
	local $/;
	my $args = <$c> // '';
	close $c;
	push @leaks, $cmdline if $args =~ /HOOKTOKEN7|MAILPASS7/;
}
is(join(',', @leaks), '', 'no process command line holds the webhook token or the SMTP password');

$node->stop;
unlike(slurp_file($node->logfile), qr/secret|HOOKTOKEN7|MAILPASS7/i,
	'the server log never shows the refused URL, the webhook token or the SMTP password');
done_testing();
