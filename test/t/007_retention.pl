# Retention over several full, differential and incremental backups: the
# plan keeps exactly what the policy says (and whatever a kept backup depends
# on), a dry run changes nothing, a real run marks expired backups in
# backup_catalog and removes them and the WAL before the oldest kept backup
# from the repository; every kept backup still restores and no WAL gap opens
# inside the kept window.  The same from SQL, from the launcher after a backup,
# and with `pg_safekeep expire` on the repository alone.
use strict;
use warnings;

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

# Default retention (retention_days = 7) runs after every backup and keeps
# them all while the backups are taken.
my ($node, $repo) = safekeep_node('primary');

sub q1
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', $sql);
}

$node->command_ok([ 'pgbench', '-i', '-s', 1, '-q', 'postgres' ], 'pgbench -i -s 1');
q1('CREATE TABLE marks (n int)');

# Backup n of the sequence sees marks rows 1..n: restoring it must show n.
my @plan = (
	[ F1 => 'full' ],
	[ I1 => 'incremental', 'F1' ],
	[ D1 => 'differential', 'F1' ],
	[ F2 => 'full' ],
	[ I2a => 'incremental', 'F2' ],
	[ D2 => 'differential', 'F2' ],
	[ I2b => 'incremental', 'D2' ],
	[ F3 => 'full' ],
	[ D3 => 'differential', 'F3' ],
	[ I3 => 'incremental', 'D3' ]);
my (%label, %marks, %name_of);

sub take_backup
{
	my ($name, $type, $prior) = @_;
	my $n = q1('INSERT INTO marks SELECT coalesce(max(n), 0) + 1 FROM marks RETURNING n');
	q1("UPDATE pgbench_accounts SET abalance = abalance + $n WHERE aid BETWEEN $n * 100 AND $n * 100 + 50");
	my $l = q1("SELECT safekeep.create_${type}_backup()");
	wait_jobs_idle($node);
	$label{$name} = $l;
	$marks{$name} = $n;
	$name_of{$l} = $name;
	is( q1(
			"SELECT backup_type || ' ' || coalesce(prior_label, '-') || ' ' || status FROM safekeep.backup_catalog WHERE label = '$l'"
		),
		"$type " . ($prior ? $label{$prior} : '-') . ' completed',
		"$name: $type backup $l" . ($prior ? " on $prior" : ''));
	return;
}

take_backup(@$_) for @plan;
my @names = map { $_->[0] } @plan;

is( q1(q{SELECT count(*) FILTER (WHERE status = 'completed') || '/' || count(*) FROM safekeep.backup_catalog}),
	'10/10',
	'retention after each backup (retention_days = 7) expired none of the ten');

# Waits until a new session sees the reloaded settings.
sub set_retention
{
	my (%g) = @_;
	q1(join(";\n", map { "ALTER SYSTEM SET safekeep.$_ = '$g{$_}'" } sort keys %g)
		  . ";\nSELECT pg_reload_conf()");
	my $check = join(' AND ',
		map { "current_setting('safekeep.$_') = '$g{$_}'" } sort keys %g);
	$node->poll_query_until('postgres', "SELECT $check")
	  or die 'the reloaded retention settings never showed';
	return;
}

# label => {action, reason, type} from safekeep.expire_backups($dry_run); the
# WAL row under the key 'wal'.
sub sql_plan
{
	my ($dry_run) = @_;    # '' for the default
	my %p;
	my $rows = q1(
		"SELECT coalesce(label, 'wal'), backup_type, action, reason FROM safekeep.expire_backups($dry_run)"
	);
	for (split /\n/, $rows)
	{
		my ($l, $type, $action, $reason) = split /\|/, $_, 4;
		$p{$l} = { type => $type, action => $action, reason => $reason };
	}
	return \%p;
}

# "F1=expire,I1=expire,..." in backup order, for the names given.
sub actions
{
	my ($p, @which) = @_;
	return join ',',
	  map { "$_=" . ($p->{ $label{$_} } ? $p->{ $label{$_} }{action} : 'absent') } @which;
}

sub expected
{
	my ($keep, @which) = @_;
	my %k = map { $_ => 1 } @$keep;
	return join ',', map { "$_=" . ($k{$_} ? 'keep' : 'expire') } @which;
}

# Every file of the repository, with its size.
sub repo_state
{
	return { map { $_ => -s $_ } files_under($repo) };
}

sub nothing_removed
{
	my ($before, $what) = @_;
	my @gone = grep { !-e $_ } sort keys %$before;
	is(scalar @gone, 0, "$what removed nothing from the repository") or diag("gone: @gone");
	return;
}

sub catalog_statuses
{
	return q1(
		"SELECT string_agg(label || '=' || status, ',' ORDER BY label) FROM safekeep.backup_catalog");
}

# Segment number of a WAL file name (16 MB segments).
sub segno
{
	my ($name) = @_;
	return hex(substr($name, 8, 8)) * 256 + hex(substr($name, 16, 8));
}

# The archive holds every segment from its oldest to its newest: no gap.
sub archive_contiguous
{
	my ($info, $what) = @_;
	my $a = $info->{archive};
	is($a->{count}, segno($a->{max}) - segno($a->{min}) + 1,
		"$what: every segment from $a->{min} to $a->{max} is archived");
	return;
}

my $restores = 0;

# Restores backup $name to its end into a new node and checks its marks.
sub restores_ok
{
	my ($name) = @_;
	my $copy = PostgreSQL::Test::Cluster->new('restored_' . lc($name) . '_' . $restores++);
	my ($rc, $out, $err) = run_tool(
		'restore', "--repo1-path=$repo",
		'--pgdata=' . $copy->data_dir,
		"--set=$label{$name}", '--target=immediate');
	is($rc, 0, "kept backup $name restores") or return;
	wait_promoted($copy);
	is($copy->safe_psql('postgres', 'SELECT count(*) || ' . "'/'" . ' || max(n) FROM marks'),
		"$marks{$name}/$marks{$name}", "$name restored: marks holds rows 1..$marks{$name}");
	$copy->stop;
	return;
}

# --- bad policies are rejected -------------------------------------------------
my ($stdout, $stderr) = ('', '');
isnt($node->psql('postgres', 'ALTER SYSTEM SET safekeep.retention_full = 1001',
		stdout => \$stdout, stderr => \$stderr), 0,
	'retention_full = 1001 is rejected');
like($stderr, qr/1001 is outside the valid range for parameter "safekeep.retention_full" \(0 \.\. 1000\)/,
	'with the valid range');
isnt($node->psql('postgres', 'ALTER SYSTEM SET safekeep.retention_days = -1',
		stdout => \$stdout, stderr => \$stderr), 0,
	'retention_days = -1 is rejected');
like($stderr, qr/outside the valid range for parameter "safekeep.retention_days"/, 'with the valid range');
isnt($node->psql('postgres', q{ALTER SYSTEM SET safekeep.wal_retention = 'some'},
		stdout => \$stdout, stderr => \$stderr), 0,
	'wal_retention = some is rejected');
like($stderr, qr/invalid value for parameter "safekeep.wal_retention"/, 'naming the parameter');

set_retention(
	retention_full => 0,
	retention_days => 0,
	retention_daily => 0,
	retention_weekly => 0,
	retention_monthly => 0,
	retention_yearly => 0);
my $before = repo_state();
isnt($node->psql('postgres', 'SELECT * FROM safekeep.expire_backups(false)',
		stdout => \$stdout, stderr => \$stderr), 0,
	'a policy that keeps nothing is refused');
like($stderr, qr/keeps nothing/, 'saying it keeps nothing');
nothing_removed($before, 'the refused policy');

# --- SQL: keep the two newest full backups and their chains -------------------------
set_retention(retention_full => 2);
my @kept = qw(F2 I2a D2 I2b F3 D3 I3);
my %info_before = map { $_->{label} => $_ } @{ tool_info($repo)->{backups} };
my $statuses = catalog_statuses();
$before = repo_state();

my $p = sql_plan('');
is(actions($p, @names), expected(\@kept, @names),
	'expire_backups() (a dry run by default): expire exactly the first full chain');
is(scalar(keys %$p), 11, 'one row per backup and one for the WAL');
is($p->{wal}{type}, 'wal', 'the WAL row has backup_type wal');
is($p->{wal}{action}, 'expire', 'WAL before the oldest kept backup would go');
like($p->{wal}{reason}, qr/would be removed before \Q$info_before{$label{F2}}{start_wal}\E/,
	"namely WAL before $info_before{$label{F2}}{start_wal}, where F2 starts");
is($p->{ $label{$_} }{reason}, 'not kept by the retention policy', "$_: reason for expiring")
  for qw(F1 I1 D1);
like($p->{ $label{$_} }{reason}, qr/one of the 2 newest full backups/, "$_: kept as one of the 2 newest fulls")
  for qw(F2 F3);
like($p->{ $label{F3} }{reason}, qr/newest full backup/, 'F3: kept as the newest full backup');
like($p->{ $label{$_} }{reason}, qr/depends on kept full backup \Q$label{F2}\E/, "$_: kept with F2")
  for qw(I2a D2 I2b);
like($p->{ $label{$_} }{reason}, qr/depends on kept full backup \Q$label{F3}\E/, "$_: kept with F3")
  for qw(D3 I3);
like($p->{ $label{I3} }{reason}, qr/newest backup/, 'I3: kept as the newest backup');
is(join(',', map { $p->{ $label{$_->[0]} }{type} } @plan),
	join(',', map { $_->[1] } @plan), 'each row carries the backup type');

nothing_removed($before, 'the dry run');
is_deeply(sql_plan('true'), $p, 'expire_backups(true) plans the same');
nothing_removed($before, 'the explicit dry run');
is(catalog_statuses(), $statuses, 'the dry run changed no backup_catalog status');
is(scalar(@{ tool_info($repo)->{backups} }), 10, 'and the repository still lists ten backups');

$p = sql_plan('false');
is(actions($p, @names), expected(\@kept, @names), 'the real run: the same decisions');
like($p->{wal}{reason}, qr/^[1-9]\d* WAL files .* removed before/, 'and it removed WAL');
is( q1(
		q{SELECT string_agg(label, ',' ORDER BY label) FROM safekeep.backup_catalog WHERE status = 'expired'}),
	join(',', sort map { $label{$_} } qw(F1 I1 D1)),
	'backup_catalog: exactly F1, I1, D1 are expired');
is(q1('SELECT count(*) FROM safekeep.backup_catalog'), '10', 'and their rows are kept');
is( q1(
		q{SELECT string_agg(label, ',' ORDER BY label) FROM safekeep.backup_log WHERE event = 'expired'}),
	join(',', sort map { $label{$_} } qw(F1 I1 D1)),
	'backup_log has an expired event for each');

my $info = tool_info($repo);
is(join(',', map { $name_of{ $_->{label} } // $_->{label} } @{ $info->{backups} }),
	join(',', @kept), 'pg_safekeep info lists exactly the kept backups');
is(scalar(backup_dirs($repo, $label{$_})), 0, "$_ is gone from the repository") for qw(F1 I1 D1);
is($info->{archive}{min}, $info_before{ $label{F2} }{start_wal},
	'the oldest archived segment is where the oldest kept backup starts');
archive_contiguous($info, 'after the SQL expire');

is(q1('SELECT count(*) FROM safekeep.verify_backup(NULL, wal_to_newest => true)'),
	'0', 'verify_backup(wal_to_newest): no problems and no WAL gap in the kept window');
my ($rc, $out, $err) = run_tool('verify', "--repo1-path=$repo", '--wal-to-newest');
is($rc, 0, 'pg_safekeep verify --wal-to-newest agrees');

restores_ok($_) for @kept;

# --- the launcher applies the policy after a backup ----------------------------------
take_backup(F4 => 'full');
push @names, 'F4';
my @kept_after = qw(F3 D3 I3 F4);
is( q1(
		q{SELECT string_agg(label, ',' ORDER BY label) FROM safekeep.backup_catalog WHERE status = 'expired'}),
	join(',', sort map { $label{$_} } qw(F1 I1 D1 F2 I2a D2 I2b)),
	'after the new full backup the launcher expired the F2 chain');
$info = tool_info($repo);
is(join(',', map { $name_of{ $_->{label} } // $_->{label} } @{ $info->{backups} }),
	join(',', @kept_after), 'the repository holds F3, D3, I3 and F4');
is($info->{archive}{min}, $info->{backups}[0]{start_wal}, 'and WAL from F3 on');
archive_contiguous($info, 'after the launcher\'s expire');

# --- pg_safekeep expire on the repository alone --------------------------------------
$node->stop;
my @expire = ('expire', "--repo1-path=$repo", '--output=json');

sub cli_plan
{
	my (@opts) = @_;
	my ($rc, $out, $err) = run_tool(@expire, @opts);
	is($rc, 0, "pg_safekeep expire @opts exits 0") or return {};
	# One plan per repository; this one has repo1 only.
	my $all = decode_json($out);
	is(scalar(@{ $all->{repositories} }) . '/' . $all->{repositories}[0]{repository},
		'1/1', 'one plan, about repository 1');
	return $all->{repositories}[0];
}

sub cli_actions
{
	my ($plan) = @_;
	return join ',',
	  map { ($name_of{ $_->{label} } // $_->{label}) . "=$_->{action}" } @{ $plan->{backups} };
}

my @cli_names = qw(F3 D3 I3 F4);
$before = repo_state();

my $plan = cli_plan('--retention-days=1', '--dry-run');
is(cli_actions($plan), expected(\@cli_names, @cli_names), 'dry run, days 1: every backup is kept');
like($plan->{backups}[0]{reason}, qr/younger than 1 days/, 'because it is younger than a day');

$plan = cli_plan('--retention-full=2', '--wal-retention=consistent', '--dry-run');
is(cli_actions($plan), expected(\@cli_names, @cli_names), 'dry run, full 2, consistent WAL: all kept');
is($plan->{wal}{mode}, 'consistent', 'the WAL mode is consistent');
is($plan->{wal}{remove_before}, $info->{backups}[3]{start_wal},
	'all WAL is kept from the newest backup (F4) on');
is_deeply($plan->{wal}{keep_ranges},
	[ map { [ $_->{start_wal}, $_->{stop_wal} ] } @{ $info->{backups} }[ 0 .. 2 ] ],
	'below it only each older kept backup\'s start..stop');
my $between = segno($info->{backups}[3]{start_wal}) - segno($info->{backups}[0]{start_wal});
$between -= segno($_->[1]) - segno($_->[0]) + 1 for @{ $plan->{wal}{keep_ranges} };
is($plan->{wal}{removed_count}, $between,
	"it would remove the $between segments between those ranges");

$plan = cli_plan('--retention-daily=1', '--dry-run');
is(cli_actions($plan), expected([qw(F4)], @cli_names), 'dry run, daily 1: only the newest backup of today');
like($plan->{backups}[3]{reason}, qr/daily \d{4}-\d\d-\d\d|newest backup/, 'F4: kept as today\'s');

$plan = cli_plan('--retention-full=1', '--dry-run');
my @cli_kept = qw(F4);
is(cli_actions($plan), expected(\@cli_kept, @cli_names), 'dry run, full 1: only F4 is kept');
is($plan->{dry_run}, JSON::PP::true, 'the plan says dry run');
ok($plan->{wal}{removed_count} > 0, 'and WAL would be removed');
nothing_removed($before, 'the CLI dry runs');
is(scalar(@{ tool_info($repo)->{backups} }), 4, 'the repository still lists four backups');

($rc, $out, $err) = run_tool('expire', "--repo1-path=$repo", '--retention-full=1001');
is($rc, 2, 'pg_safekeep expire --retention-full=1001 exits 2');
like($err, qr/--retention-full must be between 0 and 1000/, 'with the valid range');
($rc, $out, $err) = run_tool('expire', "--repo1-path=$repo", '--retention-days=soon');
is($rc, 2, 'a non-numeric --retention-days exits 2');
like($err, qr/--retention-days must be an integer/, 'saying it must be an integer');
($rc, $out, $err) = run_tool('expire', "--repo1-path=$repo", '--retention-full=0');
is($rc, 1, 'a policy that keeps nothing exits 1');
like($err, qr/keeps nothing/, 'saying it keeps nothing');
nothing_removed($before, 'the rejected expire runs');

$plan = cli_plan('--retention-full=1');
is(cli_actions($plan), expected(\@cli_kept, @cli_names), 'the real run: the same decisions');
like($plan->{backups}[3]{reason}, qr/newest full backup/, 'F4 is kept as the newest full backup');
$info = tool_info($repo);
is(join(',', map { $name_of{ $_->{label} } // $_->{label} } @{ $info->{backups} }),
	'F4', 'only F4 is left in the repository');
is(scalar(backup_dirs($repo, $label{$_})), 0, "$_ is gone from the repository") for qw(F3 D3 I3);
is($info->{archive}{min}, $info->{backups}[0]{start_wal}, 'WAL is kept from F4 on');
archive_contiguous($info, 'after pg_safekeep expire');
($rc, $out, $err) = run_tool('verify', "--repo1-path=$repo", '--wal-to-newest');
is($rc, 0, 'pg_safekeep verify --wal-to-newest: no problems');
($rc, $out, $err) = run_tool('verify', "--repo1-path=$repo", "--set=$label{F3}");
isnt($rc, 0, 'verify of an expired backup fails');
like($err, qr/\Q$label{F3}\E/, 'naming the label');
restores_ok('F4');

# --- back on the server: the catalog catches up with the repository -----------------
$node->start;
is(q1('SELECT count(*) FROM safekeep.verify_backup()'), '0', 'verify_backup(): F4 verifies clean');
is( q1(
		q{SELECT string_agg(label, ',' ORDER BY label) FROM safekeep.backup_catalog WHERE status = 'completed'}),
	$label{F4}, 'backup_catalog: only F4 is still completed');
is(q1('SELECT count(*) FROM safekeep.backup_catalog'), '11', 'and every row is kept');
$node->stop;

done_testing();
