# Logical backups: schema-only backups record a schema hash that stays the
# same without DDL and changes after an ALTER TABLE; a full logical backup of
# a pgbench database restores one dropped table (same rows) into the same
# database and into a new one; the stored object is zstd-compressed and its
# content's sha256 matches the manifest; a corrupted object makes the
# restore fail naming it; bad input is refused with clear errors.
# Retention: with safekeep.logical_retention_count = 2 (days 0) an expire run
# keeps the two newest full and the two newest schema-only logical backups,
# removes the rest from the repository, marks them expired in backup_catalog
# and notifies; a kept one still restores, an expired one is refused;
# `pg_safekeep info` lists the logical backups (json and text);
# `pg_safekeep expire --logical-retention-*` works on the repository alone and
# the catalog follows at the next sync; bad values are refused.
use strict;
use warnings;

use Digest::SHA;
use File::Basename qw(dirname);
use JSON::PP;
use NotifyTest qw(webhook_url_file);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

my ($node, $repo) = safekeep_node('logical');

sub q1
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', $sql);
}

sub refused { return psql_refused($node, @_) }

sub rows_md5
{
	my ($db) = @_;
	return $node->safe_psql($db,
		q{SELECT md5(string_agg(t::text, ',' ORDER BY bid)) FROM pgbench_branches t});
}

$node->command_ok([ 'pgbench', '-i', '-s', '1', '-q', 'postgres' ], 'pgbench -i -s 1');

# --- schema-only backups and the schema hash ---------------------------------
my $s1 = q1(q{SELECT safekeep.create_logical_backup(schema_only => true)});
like($s1, qr/^\d{8}-\d{6}L$/, "schema-only backup $s1 has a logical label");
my $h1 = q1(qq{SELECT schema_hash FROM safekeep.backup_catalog WHERE label = '$s1'});
like($h1, qr/^[0-9a-f]{64}$/, 'the schema hash is recorded');
is(q1(qq{SELECT backup_type || '/' || status FROM safekeep.backup_catalog WHERE label = '$s1'}),
	'logical/completed', 'catalog row: logical, completed');

my $s2 = q1(q{SELECT safekeep.create_logical_backup(schema_only => true)});
isnt($s2, $s1, 'a second backup gets its own label');
is(q1(qq{SELECT schema_hash FROM safekeep.backup_catalog WHERE label = '$s2'}),
	$h1, 'same schema hash without DDL');

q1(q{ALTER TABLE pgbench_history ADD COLUMN note text});
my $s3 = q1(q{SELECT safekeep.create_logical_backup(schema_only => true)});
isnt(q1(qq{SELECT schema_hash FROM safekeep.backup_catalog WHERE label = '$s3'}),
	$h1, 'ALTER TABLE changes the schema hash');

# sync_catalog keeps the logical rows whose backups are in the repository.
q1(q{SELECT safekeep.sync_catalog()});
is(q1(qq{SELECT status FROM safekeep.backup_catalog WHERE label = '$s1'}),
	'completed', 'sync_catalog leaves logical backups in the repository alone');

# --- a full logical backup; restore one table ---------------------------------
my $before = rows_md5('postgres');
my $full = q1(q{SELECT safekeep.create_logical_backup()});
like($full, qr/^\d{8}-\d{6}L$/, "full logical backup $full");

my ($manifest_path) = glob("$repo/*/logical/$full/manifest.json");
ok(defined $manifest_path && -f $manifest_path, 'manifest.json is in logical/<label>/');
my $object = dirname($manifest_path) . '/dump.zst';
ok(-f $object, 'dump.zst is beside it');
my $want_sha = q1(qq{SELECT manifest->>'sha256' FROM safekeep.logical_backups WHERE label = '$full'});
my $dump_size = q1(qq{SELECT dump_size FROM safekeep.logical_backups WHERE label = '$full'});
open my $fh, '<:raw', $object or die "open $object: $!";
my $magic;
read $fh, $magic, 4;
close $fh;
is(unpack('H8', $magic), '28b52ffd', 'the object is a zstd stream');
cmp_ok(-s $object, '<', $dump_size, 'the object is smaller than the dump');
my $plain = `zstd -dc '$object'`;
is(length($plain), $dump_size, 'the object decompresses to dump_size bytes');
is(Digest::SHA::sha256_hex($plain), $want_sha, "the dump's sha256 matches the manifest");
is(substr($plain, 0, 5), 'PGDMP', 'the dump is in pg_dump custom format');
is(q1(qq{SELECT 'public.pgbench_branches' = ANY (dumped_tables)
           FROM safekeep.logical_backups WHERE label = '$full'}),
	't', 'the dumped tables are recorded');

q1(q{DROP TABLE pgbench_branches});
my $res = q1(
	qq{SELECT safekeep.restore_logical_backup('$full', 'postgres', ARRAY['pgbench_branches'])});
like($res, qr/restored logical backup $full into database postgres/, 'table restore reports');
is(rows_md5('postgres'), $before, 'restored pgbench_branches has the same rows');

q1(q{CREATE DATABASE restored});
q1(qq{SELECT safekeep.restore_logical_backup('$full', 'restored',
                                            ARRAY['public.pgbench_branches'])});
is(rows_md5('restored'), $before, 'the table restores into a new database too');

# --- bad input --------------------------------------------------------------
like(refused(q{SELECT safekeep.restore_logical_backup('20990101-000000L', 'postgres')},
		'unknown label'),
	qr/unknown backup "20990101-000000L"/, 'unknown label named');
my $phys = q1(q{SELECT safekeep.create_full_backup()});
like(refused(qq{SELECT safekeep.restore_logical_backup('$phys', 'postgres')}, 'physical label'),
	qr/invalid logical backup label "\Q$phys\E"/, 'physical label refused');
like(refused(qq{SELECT safekeep.restore_logical_backup('$full', 'no_such_db')}, 'missing db'),
	qr/database "no_such_db" does not exist/, 'missing target database named');
like(
	refused(qq{SELECT safekeep.restore_logical_backup('$full', 'postgres', ARRAY['nope'])},
		'unknown table on restore'),
	qr/table "nope" is not in logical backup/,
	'unknown table on restore named');
like(refused(q{SELECT safekeep.create_logical_backup(tables => ARRAY['nope'])}, 'unknown table'),
	qr/table "nope" does not exist/, 'unknown table on backup named');
like(refused(q{SELECT safekeep.create_logical_backup(tables => '{}')}, 'empty list'),
	qr/tables is empty/, 'empty table list refused');

# A table-only backup records its tables.
my $t1 = q1(q{SELECT safekeep.create_logical_backup(tables => ARRAY['pgbench_tellers'])});
is(q1(qq{SELECT array_to_string(tables, ',') FROM safekeep.logical_backups WHERE label = '$t1'}),
	'public.pgbench_tellers', 'a table backup records its table');

# --- corruption -------------------------------------------------------------
flip_bytes($object, 64);
my $err = refused(qq{SELECT safekeep.restore_logical_backup('$full', 'restored',
                                                            ARRAY['public.pgbench_tellers'])},
	'corrupt object');
like($err, qr/logical backup object ".*\Q$full\E\/dump\.zst" is corrupt/,
	'the corrupt object is named');
is($node->safe_psql('restored', q{SELECT to_regclass('pgbench_tellers') IS NULL}),
	't', 'nothing was restored from the corrupt object');

# --- a schedule takes schema-only logical backups ------------------------------
my $logical_count = q1(q{SELECT count(*) FROM safekeep.logical_backups});
q1(q{ALTER SYSTEM SET safekeep.scheduler = on});
q1(q{SELECT pg_reload_conf()});
q1(q{SELECT safekeep.add_schedule('schema_versions', '* * * * *', 'logical_schema')});
ok( $node->poll_query_until(
		'postgres', qq{
SELECT count(*) > $logical_count FROM safekeep.logical_backups l
  JOIN safekeep.jobs j ON j.label = l.label WHERE l.schema_only AND j.status = 'succeeded'}),
	'a logical_schema schedule fires and takes a schema-only logical backup');
# The launcher writes a run's result at its next check (every 10 s).
ok( $node->poll_query_until(
		'postgres',
		q{SELECT last_result = 'succeeded' FROM safekeep.schedules WHERE name = 'schema_versions'}),
	'and the schedule records the result');
q1(q{SELECT safekeep.remove_schedule('schema_versions')});
q1(q{ALTER SYSTEM SET safekeep.scheduler = off});
q1(q{SELECT pg_reload_conf()});
$node->poll_query_until('postgres',
	q{SELECT count(*) = 0 FROM safekeep.jobs WHERE status IN ('queued', 'running')})
  or die 'jobs still queued or running';
wait_jobs_idle($node);

# --- retention of logical backups ----------------------------------------------
# Waits until a new session sees the reloaded settings.
sub set_conf
{
	my (%g) = @_;
	q1(join(";\n", map { "ALTER SYSTEM SET safekeep.$_ = '$g{$_}'" } sort keys %g)
		  . ";\nSELECT pg_reload_conf()");
	$node->poll_query_until('postgres',
		'SELECT ' . join(' AND ', map { "current_setting('safekeep.$_') = '$g{$_}'" } sort keys %g))
	  or die 'the reloaded settings never showed';
	return;
}

# "label=action,..." of the logical rows of safekeep.expire_backups($dry_run).
sub logical_plan
{
	my ($dry_run) = @_;
	my $rows = q1(
		"SELECT label || '=' || action FROM safekeep.expire_backups($dry_run) WHERE backup_type = 'logical' ORDER BY label"
	);
	return join ',', split /\n/, $rows;
}

sub logical_dir
{
	my ($label) = @_;
	my @d = grep { -d $_ } glob("$repo/*/logical/$label");
	return $d[0];
}

q1(q{UPDATE pgbench_branches SET bbalance = bbalance + 1});
my $f2 = q1(q{SELECT safekeep.create_logical_backup()});
q1(q{UPDATE pgbench_branches SET bbalance = bbalance + 1});
my $f3_rows = rows_md5('postgres');
my $f3 = q1(q{SELECT safekeep.create_logical_backup()});
wait_jobs_idle($node);

my %schema_only = map { split /\|/ } split /\n/,
  q1(q{SELECT label, schema_only FROM safekeep.logical_backups});
my @logical = sort keys %schema_only;
my @fulls = grep { $schema_only{$_} eq 'f' } @logical;
my @schemas = grep { $schema_only{$_} eq 't' } @logical;
is(join(',', @fulls), "$full,$t1,$f2,$f3", 'four full logical backups (one of them of a table)');
cmp_ok(scalar @schemas, '>=', 4, 'and at least four schema-only ones');
my %kept = map { $_ => 1 } @fulls[ -2, -1 ], @schemas[ -2, -1 ];
my @gone = grep { !$kept{$_} } @logical;
my $want = join ',', map { "$_=" . ($kept{$_} ? 'keep' : 'expire') } @logical;

like(
	refused(q{ALTER SYSTEM SET safekeep.logical_retention_count = -1}, 'count -1'),
	qr/-1 is outside the valid range for parameter "safekeep.logical_retention_count" \(0 \.\. 1000\)/,
	'logical_retention_count = -1: the valid range is named');
like(
	refused(q{ALTER SYSTEM SET safekeep.logical_retention_days = 36501}, 'days 36501'),
	qr/outside the valid range for parameter "safekeep.logical_retention_days" \(0 \.\. 36500\)/,
	'logical_retention_days = 36501: the valid range is named');

# A webhook nobody listens to: the notification is queued in notification_log.
set_conf(
	logical_retention_count => 2,
	logical_retention_days => 0,
	notify_webhook_url_file => webhook_url_file('http://127.0.0.1:9/hook'));
is(logical_plan(''), $want,
	'dry run, count 2: the two newest of each kind are kept, counted apart');
like(q1(qq{SELECT reason FROM safekeep.expire_backups() WHERE label = '$schemas[-1]'}),
	qr/newest schema-only logical backup of database postgres/,
	'the newest schema-only backup is kept as such');
like(q1(qq{SELECT reason FROM safekeep.expire_backups() WHERE label = '$fulls[-2]'}),
	qr/one of the 2 newest full logical backups of database postgres/,
	'the second newest full one by the count');
is(scalar(grep { defined logical_dir($_) } @logical), scalar @logical,
	'the dry runs removed nothing');

is(logical_plan('false'), $want, 'the real run: the same decisions');
is(join(',', grep { defined logical_dir($_) } @logical), join(',', sort keys %kept),
	'only the kept logical backups are left in the repository');
is( q1(
		q{SELECT string_agg(label, ',' ORDER BY label) FROM safekeep.backup_catalog WHERE backup_type = 'logical' AND status = 'expired'}
	),
	join(',', @gone),
	'backup_catalog: the removed ones are expired');
is( q1(
		q{SELECT string_agg(label, ',' ORDER BY label) FROM safekeep.backup_log WHERE event = 'expired' AND backup_type = 'logical'}
	),
	join(',', @gone),
	'backup_log has an expired event for each');
is(q1(qq{SELECT status FROM safekeep.backup_catalog WHERE label = '$phys'}),
	'completed', 'the physical backup is not counted with them');
my $n_gone = scalar @gone;
is( q1(
		qq{SELECT count(*) FROM safekeep.notification_log WHERE event = 'retention_removed' AND subject LIKE '%retention removed $n_gone backup(s)%'}
	),
	'1',
	"one retention_removed notification for the $n_gone backups");
my $body = q1(q{SELECT body FROM safekeep.notification_log WHERE event = 'retention_removed'});
is(scalar(grep { index($body, $_) >= 0 } @gone), $n_gone, 'naming each of them');

q1(q{CREATE DATABASE kept});
like(q1(qq{SELECT safekeep.restore_logical_backup('$f3', 'kept', ARRAY['pgbench_branches'])}),
	qr/restored logical backup $f3 into database kept/, 'a kept logical backup restores');
is(rows_md5('kept'), $f3_rows, 'with the rows it was taken with');
like(refused(qq{SELECT safekeep.restore_logical_backup('$gone[0]', 'kept')}, 'expired backup'),
	qr/logical backup "\Q$gone[0]\E" is expired/, 'an expired one is refused, saying so');

# --- pg_safekeep info lists them ----------------------------------------------------
my $info = tool_info($repo);
my %listed = map { $_->{label} => $_ } @{ $info->{logical_backups} };
is(join(',', sort keys %listed), join(',', sort keys %kept),
	'info --output=json lists exactly the kept logical backups');
is(join(',', map { $listed{$_}{kind} } $fulls[-1], $schemas[-1]),
	'full,schema-only', 'with their kind');
is($listed{$f3}{database}, 'postgres', 'the database');
is($listed{$f3}{schema_hash},
	q1(qq{SELECT schema_hash FROM safekeep.logical_backups WHERE label = '$f3'}),
	'the schema hash');
is($listed{$f3}{stored_size},
	q1(qq{SELECT stored_size FROM safekeep.logical_backups WHERE label = '$f3'}),
	'the stored size');
like($listed{$f3}{stop_time}, qr/^\d{10}$/, 'the time (unix seconds)');
is(scalar @{ $info->{backups} }, 1, 'and the physical backups apart, as before');
my ($rc, $out);
($rc, $out, $err) = run_tool('info', "--repo1-path=$repo");
is($rc, 0, 'pg_safekeep info (text) exits 0');
like($out, qr/^logical backups:$/m, 'the text has a logical backups section');
like($out, qr/^\Q$f3\E\s+full\s+\d{4}-\d\d-\d\dT[\d:]+Z\s+postgres\s+all\s+/m,
	'a full one: label, kind, time, database, tables');
like($out, qr/^\Q$schemas[-1]\E\s+schema-only\s+.*\s[0-9a-f]{16}$/m,
	'a schema-only one, ending in its schema hash');

# --- pg_safekeep expire on the repository alone ---------------------------------------
my @expire = ('expire', "--repo1-path=$repo");
($rc, $out, $err) = run_tool(@expire, '--logical-retention-count=1001');
is($rc, 2, '--logical-retention-count=1001 exits 2');
like($err, qr/--logical-retention-count must be between 0 and 1000/, 'with the valid range');
($rc, $out, $err) = run_tool(@expire, '--logical-retention-days=soon');
is($rc, 2, 'a non-numeric --logical-retention-days exits 2');
like($err, qr/--logical-retention-days must be an integer/, 'saying it must be an integer');

my @count1 = ('--logical-retention-count=1', '--logical-retention-days=0');
($rc, $out, $err) = run_tool(@expire, @count1, '--dry-run', '--output=json');
is($rc, 0, 'pg_safekeep expire --logical-retention-count=1 --dry-run exits 0');
my $plan = decode_json($out);
my %cli_kept = ($schemas[-1] => 1, $f3 => 1);
is( join(',',
		map { "$_->{label}=$_->{action}" } grep { $_->{type} eq 'logical' } @{ $plan->{backups} }),
	join(',', map { "$_=" . ($cli_kept{$_} ? 'keep' : 'expire') } sort keys %kept),
	'the plan keeps the newest of each kind');
is($plan->{logical}{removed_count}, 2, 'two would go');
is(scalar(grep { defined logical_dir($_) } keys %kept), 4, 'the dry run removed nothing');

($rc, $out, $err) = run_tool(@expire, @count1);
is($rc, 0, 'the real run exits 0');
like($out, qr/expired \d+ backup\(s\) \(2 logical\)/, 'and says two logical backups went');
like($out, qr/^\Q$f2\E\s+logical \(full\)\s+expire\s+not kept/m, 'the table names the kind');
ok(!defined logical_dir($f2) && !defined logical_dir($schemas[-2]), 'both are gone');
ok(defined logical_dir($f3) && defined logical_dir($schemas[-1]), 'the newest of each kind stay');
is(q1(qq{SELECT status FROM safekeep.backup_catalog WHERE label = '$f2'}),
	'completed', 'the catalog does not know yet');
q1(q{SELECT safekeep.sync_catalog()});
is( q1(
		qq{SELECT status || ': ' || error_message FROM safekeep.backup_catalog WHERE label = '$f2'}),
	'expired: no longer in the repository',
	'after the catalog sync it is expired');
is(q1(qq{SELECT status FROM safekeep.backup_catalog WHERE label = '$f3'}),
	'completed', 'and the kept one is still completed');

# --- retention after a logical backup (safekeep.expire_after_backup) -------------------
set_conf(logical_retention_count => 1, logical_retention_days => 0);
my $s_new = q1(q{SELECT safekeep.create_logical_backup(schema_only => true)});
wait_jobs_idle($node);
ok(!defined logical_dir($schemas[-1]) && defined logical_dir($s_new),
	'a new schema-only backup expires the previous one (count 1) without an expire call');
is(q1(qq{SELECT status FROM safekeep.backup_catalog WHERE label = '$schemas[-1]'}),
	'expired', 'and the catalog says so at once');
ok(defined logical_dir($f3), 'the newest full logical backup stays');

done_testing();
