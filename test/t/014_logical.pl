# Logical backups: schema-only backups record a schema hash that stays the
# same without DDL and changes after an ALTER TABLE; a full logical backup of
# a pgbench database restores one dropped table (same rows) into the same
# database and into a new one; the stored object is zstd-compressed and its
# content's sha256 matches the manifest; a corrupted object makes the
# restore fail naming it; bad input is refused with clear errors.
use strict;
use warnings;

use Digest::SHA;
use File::Basename qw(dirname);
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

# Runs $sql expecting an error; returns stderr.
sub refused
{
	my ($sql, $what) = @_;
	my ($rc, $out, $err) = $node->psql('postgres', $sql);
	isnt($rc, 0, "refused: $what");
	return $err;
}

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

# sync_catalog must not expire logical rows (they are not physical backups).
q1(q{SELECT safekeep.sync_catalog()});
is(q1(qq{SELECT status FROM safekeep.backup_catalog WHERE label = '$s1'}),
	'completed', 'sync_catalog leaves logical backups alone');

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
	qr/is a full \(physical\) backup/, 'physical label refused');
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

done_testing();
